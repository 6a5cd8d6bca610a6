"""Hardware: display, keypad, indicators and power, each with real and desktop backends.

The application builds each part from its config section with the ``open_*`` factories below.
gpiozero devices are given the pin factory from :func:`open_pin_factory` explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TextIO

from hardware.config import (
    DisplayConfig,
    GpioConfig,
    IndicatorConfig,
    KeypadConfig,
)
from hardware.display import Display, geometry_of, open_display
from hardware.display_worker import DisplayWorker
from hardware.indicators import GpioIndicators, Indicators, NoIndicators
from hardware.keypad import Keypad, KeyPress, KeyRows, MatrixKeypad, Unmapped
from hardware.power import BatterySource, open_battery
from hardware.power_config import PowerConfig
from hardware.stdin_keys import StdinKeypad
from terminal.errors import HardwareError
from terminal.screens.labels import KEYPAD_4X4, KeyLabels

__all__ = [
    "BatterySource",
    "Display",
    "DisplayConfig",
    "DisplayWorker",
    "GpioConfig",
    "IndicatorConfig",
    "Indicators",
    "KeyPress",
    "Keypad",
    "KeypadConfig",
    "NoKeypad",
    "PowerConfig",
    "Unmapped",
    "geometry_of",
    "open_battery",
    "open_display",
    "open_indicators",
    "open_keypad",
    "open_pin_factory",
]


def open_pin_factory(cfg: GpioConfig) -> Any:
    """The gpiozero pin factory ``cfg`` names, ready to pass as ``pin_factory=``."""
    try:
        if cfg.pin_factory == "mock":
            from gpiozero.pins.mock import MockFactory, MockPWMPin

            # PWM pins so a TonalBuzzer works on the desktop too.
            return MockFactory(revision=cfg.mock_revision, pin_class=MockPWMPin)
        if cfg.pin_factory == "lgpio":
            from gpiozero.pins.lgpio import LGPIOFactory

            return LGPIOFactory()
        if cfg.pin_factory == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        if cfg.pin_factory == "pigpio":
            from gpiozero.pins.pigpio import PiGPIOFactory

            return PiGPIOFactory()
        from gpiozero.pins.native import NativeFactory

        return NativeFactory()
    except ImportError as exc:
        raise HardwareError(
            f"gpio.pin_factory = {cfg.pin_factory!r} is not installed ({exc.name}): on a Pi "
            'install python3-lgpio (or pip install lgpio); on a desktop use pin_factory = "mock"'
        ) from exc
    except Exception as exc:  # each pin library raises its own type when there is no GPIO chip
        raise HardwareError(
            f"cannot open the GPIO chip with {cfg.pin_factory} ({exc}): add the user to the gpio "
            "group; under systemd give the service a writable WorkingDirectory (lgpio)"
        ) from exc


class NoKeypad:
    """A unit with no keypad (a headless test unit): no key ever arrives."""

    labels: KeyLabels = KEYPAD_4X4

    def key_rows(self) -> KeyRows:
        """No keys."""
        return ()

    async def keys(self) -> AsyncIterator[KeyPress]:
        """Waits forever."""
        await asyncio.Event().wait()
        yield Unmapped("")  # pragma: no cover - unreachable; makes this an async generator

    def close(self) -> None:
        """Nothing to release."""


def open_keypad(
    cfg: KeypadConfig, *, pin_factory: Any = None, stream: TextIO | None = None
) -> Keypad:
    """The keypad ``cfg`` names; ``stream`` replaces stdin for the desktop keypad."""
    if cfg.driver == "matrix":
        return MatrixKeypad(cfg, pin_factory=pin_factory)
    if cfg.driver == "stdin":
        return StdinKeypad(stream)
    return NoKeypad()


def open_indicators(cfg: IndicatorConfig, *, pin_factory: Any = None) -> Indicators:
    """The LEDs and buzzer ``cfg`` names."""
    if cfg.driver == "gpio":
        return GpioIndicators(cfg, pin_factory=pin_factory)
    return NoIndicators()
