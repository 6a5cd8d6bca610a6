"""Faults on demand: what a flaky network and a struggling Blink do to the terminal."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from terminal.errors import ConfigError

FAULT_KINDS = ("500", "429", "timeout")


@dataclass
class HttpFault:
    """Answer the next ``remaining`` matching HTTP requests badly."""

    kind: str
    remaining: int
    operation: str | None = None
    execute: bool = False


class Faults:
    """The switchboard tests and the control endpoint flip."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.latency = 0.0
        self.retry_after = 1
        # Longer than any client timeout the terminal uses, so a held request always times out.
        self.timeout_hold = 60.0
        self._lose_until: float | None = None
        self._http: list[HttpFault] = []
        self._drop: Callable[[], int] | None = None

    def bind_dropper(self, drop: Callable[[], int]) -> None:
        """Let :meth:`drop_sockets` reach the server's open sockets."""
        self._drop = drop

    def drop_sockets(self) -> int:
        """Cut every open WebSocket now, without a close frame; return how many."""
        return self._drop() if self._drop else 0

    def lose_events(self, on: bool | float) -> None:
        """Publish nothing to sockets: ``True`` until cleared, a number for that many seconds."""
        if on is True:
            self._lose_until = float("inf")
        elif on is False or on <= 0:
            self._lose_until = None
        else:
            self._lose_until = self._monotonic() + float(on)

    @property
    def events_lost(self) -> bool:
        """True while published events vanish (no replay, as with Blink's Redis pub/sub)."""
        return self._lose_until is not None and self._monotonic() < self._lose_until

    def fail_next(
        self, n: int, kind: str, operation: str | None = None, execute: bool = False
    ) -> None:
        """Answer the next ``n`` HTTP requests (of ``operation`` only, if given) with ``kind``.

        ``kind`` is "500", "429" (with Retry-After) or "timeout" (held, then dropped).
        ``execute=True`` runs the request before its answer is lost ("lost answer");
        otherwise it never runs ("lost request").
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ConfigError("fault kind", f"unknown kind {kind!r}", f"use one of {FAULT_KINDS}")
        if n > 0:
            self._http.append(HttpFault(kind, n, operation, execute))

    def take(self, operations: set[str]) -> HttpFault | None:
        """The fault for a request naming ``operations``, counting it down; None to answer."""
        for fault in self._http:
            if fault.operation is None or fault.operation in operations:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._http.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Back to a healthy Blink."""
        self.latency = 0.0
        self._lose_until = None
        self._http.clear()

    def describe(self) -> dict[str, object]:
        """The current faults, for ``GET /control/faults``."""
        return {
            "latency": self.latency,
            "eventsLost": self.events_lost,
            "http": [vars(f).copy() for f in self._http],
        }
