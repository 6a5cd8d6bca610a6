"""The hardware the terminal drives, built from configuration, behind one small facade."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TextIO

from hardware import (
    BatterySource,
    Display,
    DisplayWorker,
    Indicators,
    Keypad,
    Unmapped,
    geometry_of,
    open_battery,
    open_display,
    open_indicators,
    open_keypad,
    open_pin_factory,
)
from hardware.config import DESKTOP_DISPLAYS, PANELS_240X240
from hardware.display import needs_pin_factory
from hardware.display_worker import PanelMode
from hardware.power_config import PowerConfig
from hardware.poweroff import PowerOff, open_poweroff
from hardware.shutdown_button import ShutdownButton
from terminal.config import Config
from terminal.keys import Key
from terminal.links import LinkState
from terminal.screens.geometry import Geometry, qr_warning
from terminal.screens.model import Battery, View
from terminal.screens.render import render

log = logging.getLogger(__name__)


def _contrast_levels(config: Config) -> tuple[int, int] | None:
    """(normal, dimmed) contrast for an OLED panel; None where contrast does not dim it."""
    if config.display.driver in DESKTOP_DISPLAYS + PANELS_240X240:
        return None  # the desktop's stand-ins; an LCD's backlight is on or off, not dimmable
    return config.display.contrast, min(config.power.dim_contrast, config.display.contrast)


class Peripherals:
    """Display (through its worker thread), keypad, LEDs and buzzer, and the battery gauge."""

    def __init__(
        self,
        display: Display,
        geometry: Geometry,
        keypad: Keypad,
        indicators: Indicators,
        battery: BatterySource,
        *,
        on_unmapped: Callable[[str], None] | None = None,
        pin_factory: Any = None,
        power_off: PowerOff | None = None,
        contrast: tuple[int, int] | None = None,
    ) -> None:
        self.display = display
        self.geometry = geometry
        self._keypad = keypad
        self._indicators = indicators
        self._battery = battery
        self._on_unmapped = on_unmapped
        self._pin_factory = pin_factory
        self.power_off: PowerOff = power_off or open_poweroff(PowerConfig(poweroff="none"))
        self._button: ShutdownButton | None = None
        self.worker: DisplayWorker[View] = DisplayWorker(display, self._render, contrast=contrast)

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        stdin: TextIO | None = None,
        on_unmapped: Callable[[str], None] | None = None,
    ) -> Peripherals:
        """Open every part ``config`` names (raises HardwareError with what to do).

        If a part fails, whatever was already opened is released before the error goes on, so
        the stop screen can open the panel again and the GPIO lines are free for the next try.
        """
        needs_pins = (
            config.keypad.driver == "matrix"
            or config.indicators.driver == "gpio"
            or needs_pin_factory(config.display)
            or config.power.shutdown_button is not None
        )
        opened: list[Callable[[], object]] = []
        try:
            pin_factory = open_pin_factory(config.gpio) if needs_pins else None
            if pin_factory is not None:
                opened.append(pin_factory.close)
            display = open_display(config.display, pin_factory=pin_factory)
            opened.append(display.cleanup)
            keypad = open_keypad(config.keypad, pin_factory=pin_factory, stream=stdin)
            opened.append(keypad.close)
            # The screens name the keys this keypad has (# on a 4x4 pad, Enter on a keyboard).
            geometry = geometry_of(display, config.display, keys=keypad.labels)
            indicators = open_indicators(config.indicators, pin_factory=pin_factory)
            opened.append(indicators.close)
            battery = open_battery(config.power)
        except BaseException:
            for close in reversed(opened):
                with contextlib.suppress(Exception):
                    close()
            raise
        warning = qr_warning(geometry)
        if warning:
            log.warning("%s", warning)
        return cls(
            display,
            geometry,
            keypad,
            indicators,
            battery,
            on_unmapped=on_unmapped,
            pin_factory=pin_factory,
            power_off=open_poweroff(config.power),
            contrast=_contrast_levels(config),
        )

    def _render(self, view: View) -> Any:
        return render(view, self.geometry)

    def show_view(self, view: View) -> None:
        """Hand ``view`` to the display thread (never blocks on the bus)."""
        self.worker.show(view)

    async def keys(self) -> AsyncIterator[Key]:
        """Key presses for the flow; unmapped keys go to ``on_unmapped`` (the demo's pay key)."""
        async for press in self._keypad.keys():
            if isinstance(press, Unmapped):
                if self._on_unmapped is not None:
                    self._on_unmapped(press.char)
                continue
            yield press

    def show_links(self, pos: LinkState, merchant: LinkState) -> None:
        """The link LEDs."""
        self._indicators.show_links(pos, merchant)

    def signal_success(self) -> None:
        """LEDs and tune for a sale that reached the merchant."""
        self._indicators.signal_success()

    def signal_error(self) -> None:
        """LEDs and tone for something the merchant must see."""
        self._indicators.signal_error()

    async def read_battery(self) -> Battery | None:
        """The battery gauge, or None on mains."""
        return await self._battery.read()

    def set_panel(self, mode: PanelMode) -> None:
        """Light, dim or sleep the panel (on the display thread)."""
        self.worker.set_panel(mode)

    def set_dark(self, dark: bool) -> None:
        """Link LEDs out while the panel sleeps."""
        self._indicators.set_dark(dark)

    def watch_shutdown_button(
        self, pin: int, hold_seconds: float, on_held: Callable[[], None]
    ) -> None:
        """Call ``on_held`` (on this loop) when the shutdown button is held ``hold_seconds``."""
        self._button = ShutdownButton(
            pin,
            hold_seconds,
            on_held,
            asyncio.get_running_loop(),
            pin_factory=self._pin_factory,
        )

    def close(self) -> None:
        """Draw the last frame and release every part."""
        self.worker.wait_idle(5.0)
        self.worker.close()
        if self._button is not None:
            self._button.close()
        self._keypad.close()
        self._indicators.close()
        if self._pin_factory is not None:
            self._pin_factory.close()
