"""LEDs and buzzers on real gpiozero classes over mock pins."""

from __future__ import annotations

import asyncio

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.config import IndicatorConfig
from hardware.indicators import (
    ERROR_FLASHES,
    FAST,
    SLOW,
    SUCCESS_TUNE,
    Blink,
    GpioIndicators,
    link_pattern,
)
from terminal.links import LinkState
from tests.support.gpio import WatchedPin
from tests.support.timing import scaled

CFG = IndicatorConfig(driver="gpio", pos_led=17, merchant_led=27, status_led=22, buzzer=18)
QUICK = Blink(0.01, 0.01)


def states(pin: WatchedPin) -> list[bool]:
    return [bool(s.state) for s in pin.states]


@pytest.mark.parametrize(
    ("state", "pattern"),
    [
        (LinkState.UP, True),
        (LinkState.DEGRADED, SLOW),
        (LinkState.CONNECTING, SLOW),
        (LinkState.REJECTED, FAST),
        (LinkState.DOWN, False),
        (LinkState.OFF, False),
    ],
)
def test_link_patterns(state: LinkState, pattern: object) -> None:
    assert link_pattern(state) == pattern


def test_fast_blink_is_faster_than_slow() -> None:
    assert FAST.on < SLOW.on
    assert FAST.off < SLOW.off


async def test_link_leds_steady_and_blinking(mock_factory: MockFactory) -> None:
    lights = GpioIndicators(CFG, tempo=0.01, slow=QUICK, fast=QUICK)
    try:
        pos, merchant = mock_factory.pin(17), mock_factory.pin(27)
        lights.show_links(LinkState.UP, LinkState.REJECTED)
        assert pos.state
        toggles = await asyncio.to_thread(
            merchant.wait_for, lambda p: len(p.states) >= 6, scaled(2)
        )
        assert toggles, "a rejected link's LED must blink"
        lights.show_links(LinkState.DOWN, LinkState.OFF)
        assert not pos.state
        assert not merchant.state
        before = len(merchant.states)
        lights.show_links(LinkState.DOWN, LinkState.OFF)  # unchanged: left alone
        assert len(merchant.states) == before
    finally:
        lights.close()


async def test_success_signal_lights_and_beeps_then_goes_quiet(mock_factory: MockFactory) -> None:
    lights = GpioIndicators(CFG, tempo=0.001)
    try:
        status, buzzer = mock_factory.pin(22), mock_factory.pin(18)
        await asyncio.wait_for(lights.signal_success(), scaled(2))
        assert states(status) == [False, True, False]
        # One beep per note of the tune, and silence afterwards.
        assert states(buzzer) == [False] + [True, False] * len(SUCCESS_TUNE)
    finally:
        lights.close()


async def test_error_signal_flashes(mock_factory: MockFactory) -> None:
    lights = GpioIndicators(CFG, tempo=0.001)
    try:
        status = mock_factory.pin(22)
        await asyncio.wait_for(lights.signal_error(), scaled(2))
        assert states(status) == [False] + [True, False] * ERROR_FLASHES
        assert not mock_factory.pin(18).state
    finally:
        lights.close()


async def test_a_new_signal_cancels_the_old(mock_factory: MockFactory) -> None:
    lights = GpioIndicators(CFG, tempo=1.0)  # a slow success, so it is still playing
    try:
        success = lights.signal_success()
        status = mock_factory.pin(22)
        lit = await asyncio.to_thread(status.wait_for, lambda p: p.state, scaled(2))
        assert lit
        error = lights.signal_error()
        with pytest.raises(asyncio.CancelledError):
            await success
        error.cancel()
        with pytest.raises(asyncio.CancelledError):
            await error
        assert not status.state
        assert not mock_factory.pin(18).state
    finally:
        lights.close()


async def test_tonal_buzzer_plays_notes_and_stops(mock_factory: MockFactory) -> None:
    cfg = IndicatorConfig(
        driver="gpio",
        pos_led=None,
        merchant_led=None,
        status_led=None,
        buzzer=18,
        tonal_buzzer=True,
    )
    lights = GpioIndicators(cfg, tempo=0.001)
    try:
        pin = mock_factory.pin(18)
        pin.frequencies.clear()  # the PWM set-up's own frequency is not a note
        await asyncio.wait_for(lights.signal_success(), scaled(2))
        played = [f for f in pin.frequencies if f is not None]
        assert len(played) == len(SUCCESS_TUNE)
        assert played == sorted(played), "the success tune rises"
        assert pin.frequency is None
    finally:
        lights.close()
