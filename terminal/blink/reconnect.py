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
from dataclasses import dataclass


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

    RETRY = "retry"  # normal backoff: the network or Blink had a moment
    RETRY_LATER = "retry later"  # backoff, but never sooner than the slower floor
    FATAL = "fatal"  # a reconnect cannot cure it: report it, retry slowly or when asked


@dataclass(frozen=True)
class CloseVerdict:
    """The reading of one close: what to do, and a key-free reason a merchant can read."""

    disposition: Disposition
    reason: str
    terminal_bug: bool = False  # Blink refused what the terminal sent: log once at error level


# graphql-transport-ws (enisdenjo/graphql-ws ``CloseCode``) and RFC 6455 codes.
_RETRIED = {
    None: "the connection dropped",
    1000: "Blink closed the connection",
    1001: "Blink is restarting",
    1006: "the connection dropped",
    1011: "Blink had an internal error",
    1012: "Blink is restarting",
    1013: "Blink is busy",
    4401: "Blink saw a subscription before the connection was acknowledged",
    4408: "Blink timed out the connection set-up",
}
# Codes by which Blink says the terminal's own request was wrong: the same request would be
# refused again on a new connection, so reconnecting fast is a loop, not a cure.
_TERMINAL_BUGS = {
    4400: "invalid message",
    4406: "subprotocol not acceptable",
    4409: "duplicate subscription id",
}
_SYNTAX_ERROR = "syntax error"  # graphql-js's parse error text, quoted by a non-production server


def classify_close(code: int | None, reason: str = "", *, repeated: bool = False) -> CloseVerdict:
    """Read one close code (and its reason text) as a retry policy and a merchant's reason.

    ``reason`` is the peer's close text: it may be quoted (redacted and bounded by the caller).
    ``repeated``: the previous connection ended with the same code, with no healthy connection
    between; a 4500 that comes back on every connection is our document, not Blink's hiccup.
    """
    if code in _RETRIED:
        return CloseVerdict(Disposition.RETRY, _RETRIED[code])
    if code == 4429:
        # Blink's graphql-ws says "too many initialisation requests"; its ingress also limits new
        # connections per minute, so the next attempt waits longer than a network drop would.
        return CloseVerdict(Disposition.RETRY_LATER, "Blink saw too many connection requests")
    if code == 4403:
        return CloseVerdict(Disposition.FATAL, "Blink refused the connection (forbidden)")
    if code in _TERMINAL_BUGS:
        return _bug(code, reason.strip() or _TERMINAL_BUGS[code])
    shown = reason.strip() or "no reason given"
    if code == 4500:
        if repeated or _SYNTAX_ERROR in reason.lower():
            return _bug(code, shown)
        return CloseVerdict(Disposition.RETRY, f"Blink had an internal error (close 4500: {shown})")
    return CloseVerdict(Disposition.RETRY, f"the connection closed (code {code})")


def _bug(code: int, shown: str) -> CloseVerdict:
    return CloseVerdict(
        Disposition.FATAL,
        f"Blink rejected the terminal's request (close {code}: {shown}): update the terminal",
        terminal_bug=True,
    )


def delay_after(
    disposition: Disposition, backoff_delay: float, *, later: float, fatal: float
) -> float:
    """Seconds to wait before the next connection, given how the last one ended."""
    if disposition is Disposition.FATAL:
        return fatal
    if disposition is Disposition.RETRY_LATER:
        return max(backoff_delay, later)
    return backoff_delay
