"""Blink's clock, as the terminal can know it: the ``Date`` of Blink's last answer, moved on by
the terminal's monotonic clock.

A Pi has no real-time clock: at boot its wall clock may be days off, and time sync may make it
jump at any moment. Everything the terminal compares with one of Blink's timestamps (an
invoice's expiry, how long ago a pay request left) is therefore measured on Blink's clock. Its
resolution is a second (HTTP dates have no more), far below the margins it is used for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime


class ServerClock:
    """Blink's Unix time, estimated from its answers; None until the first answer."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._anchor: tuple[float, float] | None = None  # (Blink's time, monotonic) of an answer
        self._last = float("-inf")

    def heard(self, date: datetime) -> None:
        """Blink answered, saying it is ``date`` (its ``Date`` header)."""
        self._anchor = (date.timestamp(), self._monotonic())

    def now(self) -> float | None:
        """Blink's time now (never earlier than a time this clock already gave), or None."""
        if self._anchor is None:
            return None
        said, at = self._anchor
        # A Date floors to the second, so a fresh answer may read up to a second earlier than
        # the last estimate: never step back, so "how long since" can only grow.
        self._last = max(self._last, said + (self._monotonic() - at))
        return self._last
