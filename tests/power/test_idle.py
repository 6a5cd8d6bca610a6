"""The idle panel saver: dim, then sleep on a home screen; wake on a key or a new screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hardware.display_worker import PanelMode
from terminal.screens.model import AmountEntry, Idle, NotReady, Paid
from terminal.shell.idle import PanelSaver
from tests.support.timing import scaled


class Panel:
    """Records what the saver asks of the panel and the LEDs, and lets a test wait for a mode."""

    def __init__(self) -> None:
        self.modes: list[PanelMode] = []
        self.dark: list[bool] = []
        self.changed = asyncio.Event()

    def set_panel(self, mode: PanelMode) -> None:
        self.modes.append(mode)
        self.changed.set()

    async def reaches(self, mode: PanelMode) -> None:
        async with asyncio.timeout(scaled(5)):
            while not self.modes or self.modes[-1] is not mode:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def saver() -> AsyncIterator[tuple[PanelSaver, Panel]]:
    panel = Panel()
    made = PanelSaver(panel.set_panel, panel.dark.append, dim_after=0.02, sleep_after=0.04)
    task = asyncio.create_task(made.run())
    yield made, panel
    task.cancel()


async def test_a_quiet_home_screen_dims_then_sleeps(saver: tuple[PanelSaver, Panel]) -> None:
    idle, panel = saver
    idle.screen(Idle("Stall"))
    await panel.reaches(PanelMode.OFF)
    assert panel.modes == [PanelMode.DIM, PanelMode.OFF]
    assert panel.dark == [False, True]  # the LEDs go out only with the panel


async def test_the_key_that_wakes_a_sleeping_panel_is_swallowed(
    saver: tuple[PanelSaver, Panel],
) -> None:
    idle, panel = saver
    idle.screen(Idle("Stall"))
    await panel.reaches(PanelMode.OFF)
    assert idle.key() is True  # swallowed: the merchant could not see what it would do
    assert panel.modes[-1] is PanelMode.ON
    assert panel.dark[-1] is False
    assert idle.key() is False  # the next one acts


async def test_a_key_on_a_dimmed_panel_acts(saver: tuple[PanelSaver, Panel]) -> None:
    idle, panel = saver
    idle.screen(Idle("Stall"))
    await panel.reaches(PanelMode.DIM)
    assert idle.key() is False
    assert panel.modes[-1] is PanelMode.ON


async def test_a_new_screen_wakes_it(saver: tuple[PanelSaver, Panel]) -> None:
    idle, panel = saver
    idle.screen(Idle("Stall"))
    await panel.reaches(PanelMode.OFF)
    idle.screen(Idle("Stall", "Late payment: 2,100 sats reached Stall"))  # a payment arrived
    assert panel.modes[-1] is PanelMode.ON


async def test_the_same_screen_again_does_not_wake_it(saver: tuple[PanelSaver, Panel]) -> None:
    idle, panel = saver
    idle.screen(NotReady("No connection"))
    await panel.reaches(PanelMode.OFF)
    idle.screen(NotReady("No connection"))
    assert panel.modes[-1] is PanelMode.OFF


async def test_a_sale_keeps_the_panel_lit() -> None:
    panel = Panel()
    idle = PanelSaver(panel.set_panel, panel.dark.append, dim_after=0.01, sleep_after=0.02)
    idle.screen(AmountEntry("21"))
    task = asyncio.create_task(idle.run())
    try:
        # Nothing is scheduled off a sale's screen: the saver waits on news, not on a timer.
        assert idle.next_step() is None
        idle.screen(Paid(21))
        assert idle.next_step() is None
        assert panel.modes == []
        idle.screen(Idle("Stall"))  # home again: now it may dim
        step = idle.next_step()
        assert step is not None
        assert step[1] is PanelMode.DIM
        await panel.reaches(PanelMode.DIM)
    finally:
        task.cancel()


async def test_zero_means_never() -> None:
    panel = Panel()
    idle = PanelSaver(panel.set_panel, panel.dark.append, dim_after=0, sleep_after=0.01)
    idle.screen(Idle("Stall"))
    task = asyncio.create_task(idle.run())
    try:
        await panel.reaches(PanelMode.OFF)
        assert panel.modes == [PanelMode.OFF]  # no dim step
    finally:
        task.cancel()
