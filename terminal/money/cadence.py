"""When detection asks Blink about an invoice over HTTP, with no I/O: push first, never push only.

Blink has no replay, and an event can be lost on a socket that looks alive. So every sale that
Blink has not settled is also asked about over HTTP (a public status query), on a cadence:

* **the invoice on screen**: first after ``SHOWN_FIRST`` seconds, then every ``SHOWN_EVERY``,
  for as long as it is shown (and once more before the screen may say it was not paid);
* **every other unsettled sale** (open, cancelled, or lapsed: a Blink-to-Blink payment still
  reaches an expired invoice), however old, while the socket is up: every
  ``age / AGE_DIVISOR`` seconds, at least ``MIN_INTERVAL`` and at most ``MAX_INTERVAL``;
* **after a (re)connect**: at once, every open or cancelled sale and every sale that lapsed
  within ``CATCH_UP_AGE``; older lapsed sales keep their own cadence, so a reconnect never
  bursts past Blink's rate limits however long the terminal has lived.

The schedule is stateless: a sale is due in a tick when its interval's phase, counted on the
monotonic clock, rolled over since the previous tick. Nothing is kept per sale, and a wall-clock
jump changes intervals (an age is a wall-clock difference) but never makes everything due at once.
At most ``MAX_PER_TICK`` queries go out per tick; the rest wait for their next phase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHOWN_FIRST = 3.0
SHOWN_EVERY = 5.0
TICK = 30.0
MIN_INTERVAL = 30.0
MAX_INTERVAL = 7 * 24 * 3600.0
AGE_DIVISOR = 10.0
CATCH_UP_AGE = 24 * 3600.0
MAX_PER_TICK = 20  # 40 a minute at most: a third of Blink's 120 requests a minute per IP


@dataclass(frozen=True)
class Watched:
    """An unsettled sale as the schedule needs it (one light row of the journal)."""

    sale_id: str
    pos_hash: str
    created_at: float  # wall clock, Unix seconds
    lapsed: bool


def interval(age_seconds: float) -> float:
    """Seconds between two status queries of a sale this old."""
    return min(MAX_INTERVAL, max(MIN_INTERVAL, age_seconds / AGE_DIVISOR))


def is_due(age_seconds: float, previous_tick: float, this_tick: float) -> bool:
    """True when the sale's interval rolled over between two ticks (monotonic seconds)."""
    every = interval(age_seconds)
    return math.floor(this_tick / every) != math.floor(previous_tick / every)


def due(
    sales: list[Watched], *, now: float, previous_tick: float, this_tick: float
) -> list[Watched]:
    """The sales to ask about in this tick, newest first, at most ``MAX_PER_TICK``."""
    found = [s for s in sales if is_due(max(0.0, now - s.created_at), previous_tick, this_tick)]
    found.sort(key=lambda s: s.created_at, reverse=True)
    return found[:MAX_PER_TICK]


def catch_up(sales: list[Watched], *, now: float) -> list[Watched]:
    """The sales to ask about right after a (re)connect, newest first."""
    fresh = [s for s in sales if not s.lapsed or now - s.created_at < CATCH_UP_AGE]
    return sorted(fresh, key=lambda s: s.created_at, reverse=True)
