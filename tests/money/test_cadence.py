"""The detection cadence: every unsettled sale is asked about, ever more rarely, never in bursts."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from terminal.bench.detection_calls import cadence_queries, idle_hour_calls, shown_queries
from terminal.money import cadence
from terminal.money.cadence import Watched

NOW = 1_800_000_000.0


def sale(n: int, age: float, *, lapsed: bool = True) -> Watched:
    return Watched(f"sale-{n}", f"{n:064x}", NOW - age, lapsed)


def test_the_interval_grows_with_age_between_its_bounds() -> None:
    assert cadence.interval(0) == cadence.MIN_INTERVAL
    assert cadence.interval(3600) == 360.0
    assert cadence.interval(10 * 365 * 86_400) == cadence.MAX_INTERVAL


@given(age=st.floats(0, 400 * 86_400), start=st.floats(0, 10**7))
def test_over_one_interval_a_sale_is_due_exactly_once(age: float, start: float) -> None:
    every = cadence.interval(age)
    ticks = [start + i * cadence.TICK for i in range(int(every / cadence.TICK) + 2)]
    due = [cadence.is_due(age, a, b) for a, b in itertools.pairwise(ticks)]
    assert 1 <= sum(due) <= 2  # once per interval (twice only if the window spans two)


def test_a_tick_asks_the_newest_first_and_never_more_than_the_cap() -> None:
    many = [sale(n, 60.0 + n) for n in range(100)]  # all young: all due in a long tick
    due = cadence.due(many, now=NOW, previous_tick=0.0, this_tick=10_000.0)
    assert len(due) == cadence.MAX_PER_TICK
    assert due[0].sale_id == "sale-0"


def test_a_reconnect_catches_up_on_open_sales_and_recent_lapses_only() -> None:
    listed = [
        sale(1, 10 * 86_400, lapsed=False),  # open or cancelled: always, however old
        sale(2, 3600),  # lapsed an hour ago
        sale(3, 3 * 86_400),  # lapsed long ago: its own cadence will ask
    ]
    assert [s.sale_id for s in cadence.catch_up(listed, now=NOW)] == ["sale-2", "sale-1"]


def test_the_published_figures_add_up() -> None:
    assert shown_queries(30.0) == 6
    assert cadence_queries(900.0, 86_400.0) < 60  # an unpaid sale's first day
    assert idle_hour_calls(100, 365) < 120 * 60  # within Blink's per-IP limit, however old
