"""The shutdown sequence: stop sales, wait for the journal (or the grace), say so, power off."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hardware.poweroff import LogindPowerOff, RecordedPowerOff
from terminal.screens.model import Screen, ShuttingDown
from terminal.shell.shutdown import Pending, Shutdown
from tests.support.timing import scaled


class Journal:
    """What the journal answers, scripted: each ask takes the next answer (the last repeats)."""

    def __init__(self, *answers: Pending) -> None:
        self.answers = list(answers)
        self.asked = 0
        self.asked_event = asyncio.Event()
        self._cond = asyncio.Condition()

    async def pending(self) -> Pending:
        async with self._cond:
            self.asked += 1
            self.asked_event.set()
            self._cond.notify_all()
        return self.answers[min(self.asked, len(self.answers)) - 1]

    async def asked_times(self, n: int) -> None:
        async with asyncio.timeout(scaled(5)), self._cond:
            await self._cond.wait_for(lambda: self.asked >= n)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    journal: Journal, record: Path, *, grace: float = 60.0, clock: Clock | None = None
) -> tuple[Shutdown, list[str | None], list[Screen]]:
    stops: list[str | None] = []
    screens: list[Screen] = []
    shutdown = Shutdown(
        stop_sales=stops.append,
        pending=journal.pending,
        show=screens.append,
        power_off=RecordedPowerOff(record),
        grace_seconds=grace,
        check_seconds=3600.0,  # only nudges move it on: the test decides when it looks again
        clock=clock or Clock(),
    )
    return shutdown, stops, screens


async def test_nothing_pending_powers_off_at_once(tmp_path: Path) -> None:
    record = tmp_path / "poweroff"
    shutdown, stops, screens = make(Journal(Pending(0, 0)), record)
    assert await shutdown.run("Battery nearly empty")
    assert stops == ["Battery nearly empty: shutting down, no new sales"]
    assert screens == [
        ShuttingDown("Battery nearly empty", "Every payment has reached the merchant.")
    ]
    assert record.read_text().startswith("poweroff requested")
    assert shutdown.requested


async def test_it_waits_for_the_forwards_before_the_power_off(tmp_path: Path) -> None:
    record = tmp_path / "poweroff"
    journal = Journal(Pending(1, 1), Pending(1, 0), Pending(0, 0))
    shutdown, _, screens = make(journal, record)
    task = asyncio.create_task(shutdown.run("Battery nearly empty"))
    await journal.asked_times(1)
    assert not record.exists()
    assert screens[-1] == ShuttingDown(
        "Battery nearly empty", "Finishing 1 forward to the merchant (1:00 left)", waiting=True
    )
    shutdown.nudge()  # the pay request was answered
    await journal.asked_times(2)
    assert not record.exists()  # answered, but the sale is not forwarded yet
    shutdown.nudge()  # forwarded
    async with asyncio.timeout(scaled(5)):
        assert await task
    assert journal.asked == 3
    assert record.exists()
    assert screens[-1].detail == "Every payment has reached the merchant."  # type: ignore[union-attr]


async def test_with_no_network_it_gives_up_after_the_grace_time(tmp_path: Path) -> None:
    record = tmp_path / "poweroff"
    clock = Clock()
    journal = Journal(Pending(2, 0))
    shutdown, _, screens = make(journal, record, grace=120.0, clock=clock)
    task = asyncio.create_task(shutdown.run("Battery nearly empty"))
    await journal.asked_times(1)
    clock.now += 121.0  # the forwards cannot finish: the grace time runs out
    shutdown.nudge()
    async with asyncio.timeout(scaled(5)):
        assert await task
    assert record.exists()
    final = screens[-1]
    assert isinstance(final, ShuttingDown)
    assert final.detail == (
        "No network: 2 payments not yet forwarded. They are kept and forwarded at the next start."
    )


async def test_a_refused_power_off_says_so_and_keeps_sales_stopped(tmp_path: Path) -> None:
    del tmp_path
    stops: list[str | None] = []
    screens: list[Screen] = []
    refuse = LogindPowerOff(("sh", "-c", "echo 'Access denied' >&2; exit 1"))
    shutdown = Shutdown(
        stop_sales=stops.append,
        pending=Journal(Pending(0, 0)).pending,
        show=screens.append,
        power_off=refuse,
        grace_seconds=60.0,
    )
    assert not await shutdown.run("Shutdown button held")
    assert stops == ["Shutdown button held: shutting down, no new sales"]  # never lifted
    assert screens[-1] == ShuttingDown(
        "Shutdown button held", "Power-off refused: switch the unit off by hand."
    )


async def test_called_off_before_the_power_off_sales_start_again(tmp_path: Path) -> None:
    record = tmp_path / "poweroff"
    journal = Journal(Pending(1, 0))
    shutdown, stops, _ = make(journal, record)
    task = asyncio.create_task(shutdown.run("Battery nearly empty"))
    async with asyncio.timeout(scaled(5)):
        await journal.asked_event.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stops == ["Battery nearly empty: shutting down, no new sales", None]
    assert not record.exists()
    assert not shutdown.requested
