"""``python -m terminal.bench.detection_calls``: the HTTP status queries detection costs Blink.

Push first, never push only (terminal/money/cadence.py): the shown invoice is asked about every
few seconds, and every unsettled sale on a cadence that backs off with its age. This prints what
that costs, computed with the cadence module itself (the same functions the terminal runs):

* per sale: paid after a given time on screen, or never paid (then asked about, ever more
  rarely, for as long as the terminal lives: a Blink-to-Blink payment still reaches an expired
  invoice);
* per idle hour: a terminal with a year of unpaid sales behind it, at a given number a day.

Blink allows about 120 requests a minute per IP (API-NOTES §6); the cadence also sends at most
``MAX_PER_TICK`` per 30 s tick, so a terminal can never exceed 40 a minute on its own.
"""

from __future__ import annotations

import argparse
import math

from terminal.money import cadence

DAY = 86_400.0
YEAR = 365 * DAY


def shown_queries(seconds_on_screen: float) -> int:
    """Status queries while the QR is on screen for that long (and one more at its end)."""
    if seconds_on_screen < cadence.SHOWN_FIRST:
        return 0
    return 1 + math.floor((seconds_on_screen - cadence.SHOWN_FIRST) / cadence.SHOWN_EVERY)


def cadence_queries(from_age: float, to_age: float) -> int:
    """Queries of one unsettled sale between two ages (seconds since it was made)."""
    count, age = 0, from_age
    while True:
        age += cadence.interval(age)
        if age > to_age:
            return count
        count += 1


def idle_hour_calls(lapsed_per_day: float, days: float) -> float:
    """Queries in one idle hour, for a terminal with that many unpaid sales a day behind it."""
    step = 3600.0  # one sale's age per hour of its history: fine enough for the sum
    per_hour = lapsed_per_day / 24.0
    return sum(per_hour * 3600.0 / cadence.interval(age) for age in _ages(days * DAY, step))


def _ages(span: float, step: float) -> list[float]:
    return [step * (i + 0.5) for i in range(int(span / step))]


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m terminal.bench.detection_calls")
    parser.add_argument("--expiry-minutes", type=float, default=15.0)
    args = parser.parse_args(argv)
    expiry = args.expiry_minutes * 60.0
    print("Per sale (status queries over HTTP; the socket's pushes cost none):")
    for paid_after in (10.0, 30.0, 120.0):
        print(f"  paid after {paid_after:4.0f} s on screen: {shown_queries(paid_after):4d}")
    shown = shown_queries(expiry) + 1  # +1: asked once more before "not paid"
    print(f"  never paid, {args.expiry_minutes:.0f}-minute QR, while shown: {shown:4d}")
    for label, span in (("first day", DAY), ("first week", 7 * DAY), ("first year", YEAR)):
        later = cadence_queries(expiry, span)
        print(f"  never paid, after the QR, {label}: {later:4d}")
    print("Per idle hour (nothing on screen, socket up), after a year of unpaid sales:")
    for per_day in (1, 5, 20, 100):
        print(f"  {per_day:3d} unpaid a day: {idle_hour_calls(per_day, 365):7.1f} queries/hour")
    print(f"Ceiling: at most {cadence.MAX_PER_TICK} per {cadence.TICK:.0f} s tick.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
