"""The battery policy: thresholds, hysteresis, confirmation, chargers and silent gauges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.battery_policy import PowerPolicy, PowerState, Thresholds
from terminal.screens.model import Battery

N, L, C = PowerState.NORMAL, PowerState.LOW, PowerState.CRITICAL


def run(readings: list[Battery | None], **thresholds: int) -> list[PowerState]:
    policy = PowerPolicy(Thresholds(**thresholds))
    return [policy.reading(r).after for r in readings]


def drain(*levels: int) -> list[Battery | None]:
    return [Battery(p) for p in levels]


def test_a_draining_battery_goes_normal_low_critical() -> None:
    assert run(drain(50, 21, 20, 12, 7, 6)) == [N, N, L, L, L, C]


def test_critical_needs_consecutive_readings() -> None:
    # One dip under load, then a sensible reading: never critical.
    assert run(drain(15, 5, 9, 5, 9)) == [L, L, L, L, L]
    assert run(drain(15, 5), confirm=1) == [L, C]


def test_hysteresis_warns_once_around_the_threshold() -> None:
    assert run(drain(21, 20, 21, 22, 20, 23, 22)) == [N, L, L, L, L, N, N]


def test_a_charging_battery_never_shuts_down() -> None:
    charging = [Battery(p, charging=True) for p in (3, 2, 1, 0, 0)]
    assert C not in run(charging)


def test_a_charger_calls_off_critical() -> None:
    readings: list[Battery | None] = [*drain(5, 5), Battery(5, charging=True)]
    assert run(readings) == [L, C, L]


def test_an_unreadable_gauge_changes_nothing_and_breaks_the_run() -> None:
    assert run([Battery(5), None, Battery(5), None, None]) == [L, L, L, L, L]
    assert run([*drain(5, 5), None, None]) == [L, C, C, C]
    assert run([None, None, None]) == [N, N, N]


def test_critical_is_left_only_by_a_charger() -> None:
    # A voltage gauge recovers when the load drops: still nearly empty.
    assert run(drain(5, 5, 12, 30)) == [L, C, C, C]


def test_change_reports_before_and_after() -> None:
    policy = PowerPolicy(Thresholds())
    first = policy.reading(Battery(10))
    assert (first.before, first.after, first.changed) == (N, L, True)
    assert not policy.reading(Battery(10)).changed


@pytest.mark.parametrize(
    "bad", [{"low_percent": 5, "critical_percent": 5}, {"confirm": 0}, {"hysteresis_percent": -1}]
)
def test_thresholds_refuse_nonsense(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="need"):
        Thresholds(**bad)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.builds(Battery, st.integers(0, 100), st.booleans()),
        ),
        max_size=40,
    )
)
def test_critical_only_after_confirmed_discharging_readings(
    readings: list[Battery | None],
) -> None:
    policy = PowerPolicy(Thresholds(confirm=2))
    for i, reading in enumerate(readings):
        change = policy.reading(reading)
        if change.after is C and change.before is not C:
            # Entered just now: this reading and the one before are both critical and discharging.
            previous = readings[i - 1]
            for critical in (reading, previous):
                assert critical is not None
                assert not critical.charging
                assert critical.percent <= 7
        if reading is not None and reading.charging:
            assert change.after is not C
