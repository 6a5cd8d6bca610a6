"""The sandbox's movable clock: wall time plus an offset tests move forward."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Wall time plus an offset tests move forward, so invoices expire without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Sandbox Unix time in seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward by ``seconds`` and wake every expiry timer."""
        self.offset += seconds
        for listener in list(self._listeners):
            listener()

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every :meth:`advance`."""
        self._listeners.append(listener)
