"""Reconnect policy, with no I/O and no hidden clock: backoff, connection budget, close codes.

Blink's WebSocket ingress allows 10 new connections a minute per IP (API-NOTES §2); a terminal
that reconnects in a tight loop gets itself locked out exactly when it most needs the socket.
"""

from __future__ import annotations

import enum
import random
import time
from collections import deque
from collections.abc import Callable, Iterator


def backoff(
    initial: float = 1.0,
    maximum: float = 30.0,
    factor: float = 2.0,
    jitter: float = 0.5,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Endless delays: exponential from ``initial`` to ``maximum``, each cut by up to ``jitter``.

    Jitter spreads a fleet of terminals that lost the same mobile cell, so they do not all
    come back in the same second.
    """
    source = rng or random.Random()
    delay = initial
    while True:
        yield delay * (1.0 - jitter * source.random())
        delay = min(maximum, delay * factor)


class ConnectionBudget:
    """At most ``limit`` new connections in any ``window`` seconds (a sliding window)."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a connection budget needs limit >= 1 and window > 0")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._opened: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._opened and self._opened[0] <= now - self._window:
            self._opened.popleft()

    def wait_time(self) -> float:
        """Seconds until a new connection is allowed; 0.0 when it is allowed now."""
        now = self._clock()
        self._forget_old(now)
        if len(self._opened) < self._limit:
            return 0.0
        return self._opened[0] + self._window - now

    def try_acquire(self) -> bool:
        """Spend one connection if the budget allows it now; say whether it did."""
        if self.wait_time() > 0.0:
            return False
        self._opened.append(self._clock())
        return True

    def used(self) -> int:
        """Connections opened within the current window."""
        self._forget_old(self._clock())
        return len(self._opened)


class Disposition(enum.Enum):
    """What to do after a connection ended."""

    RETRY = "retry"  # normal backoff
    FATAL = "fatal"  # retrying soon cannot help: retry slowly, or when the merchant asks


# graphql-transport-ws and RFC 6455 close codes that retrying soon cannot cure.
_FATAL_CLOSE_CODES = {
    4403: "Blink refused the connection (forbidden)",
    4406: "Blink refused the subprotocol; update the terminal",
}


def classify_close(code: int | None) -> tuple[Disposition, str]:
    """Whether a close code is worth a quick retry, and a reason a merchant can read."""
    if code in _FATAL_CLOSE_CODES:
        return Disposition.FATAL, _FATAL_CLOSE_CODES[code]
    if code is None or code == 1006:
        return Disposition.RETRY, "the connection dropped"
    if code == 4408:
        return Disposition.RETRY, "Blink timed out our connection set-up"
    if code == 4429:
        return Disposition.RETRY, "Blink saw too many set-up requests"
    if code == 1000:
        return Disposition.RETRY, "Blink closed the connection"
    return Disposition.RETRY, f"the connection closed (code {code})"
