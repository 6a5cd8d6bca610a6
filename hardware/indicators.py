"""LEDs and the buzzer: link lights, and the success and error signals.

Link LEDs: on = up, slow blink = degraded or connecting, fast blink = key rejected, off = down
or not configured. gpiozero's background blink threads own the link LEDs' timing; asyncio tasks
own the status LED and the buzzer (one timing owner per device, HARDWARE-NOTES §4). A new signal
cancels the one still playing, and a cancelled signal leaves its LED and buzzer off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hardware.config import IndicatorConfig
from terminal.errors import HardwareError
from terminal.links import LinkState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Blink:
    """An LED blinking forever: seconds on, seconds off."""

    on: float
    off: float


LedPattern = bool | Blink  # True: steady on; False: off
SLOW = Blink(1.0, 1.0)
FAST = Blink(0.1, 0.1)

# (tone, seconds); None is a rest. Rising major arpeggio for success, falling minor third for error.
Tune = Sequence[tuple[str | None, float]]
SUCCESS_TUNE: Tune = (("C5", 0.08), ("E5", 0.08), ("G5", 0.08), ("C6", 0.16))
ERROR_TUNE: Tune = (("E4", 0.18), (None, 0.06), ("C4", 0.3))
# How long the status LED stays lit after a success, and how often it flashes for an error.
SUCCESS_HOLD_S = 1.5
ERROR_FLASHES = 3


def link_pattern(state: LinkState, *, slow: Blink = SLOW, fast: Blink = FAST) -> LedPattern:
    """How a link LED shows ``state``."""
    if state is LinkState.UP:
        return True
    if state in (LinkState.DEGRADED, LinkState.CONNECTING):
        return slow
    if state in (LinkState.REJECTED, LinkState.FAULT):
        return fast
    return False


class Indicators(Protocol):
    """Lights and sound. Call from the event loop."""

    def show_links(self, pos: LinkState, merchant: LinkState) -> None: ...
    def set_dark(self, dark: bool) -> None: ...
    def signal_success(self) -> asyncio.Task[None]: ...
    def signal_error(self) -> asyncio.Task[None]: ...
    def close(self) -> None: ...


class NoIndicators:
    """A unit with no LEDs or buzzer."""

    def show_links(self, pos: LinkState, merchant: LinkState) -> None:
        """Nothing to light."""
        del pos, merchant

    def set_dark(self, dark: bool) -> None:
        """Nothing to darken."""
        del dark

    def signal_success(self) -> asyncio.Task[None]:
        """A finished no-op signal."""
        return asyncio.get_running_loop().create_task(asyncio.sleep(0))

    def signal_error(self) -> asyncio.Task[None]:
        """A finished no-op signal."""
        return asyncio.get_running_loop().create_task(asyncio.sleep(0))

    def close(self) -> None:
        """Nothing to release."""


class GpioIndicators:
    """gpiozero LEDs and a ``Buzzer`` (active) or ``TonalBuzzer`` (passive, PWM pin).

    ``tempo`` scales every signal duration (tests play them fast); ``slow``/``fast`` are the
    link blink rates.
    """

    def __init__(
        self,
        cfg: IndicatorConfig,
        *,
        pin_factory: Any = None,
        tempo: float = 1.0,
        slow: Blink = SLOW,
        fast: Blink = FAST,
    ) -> None:
        from gpiozero import LED, Buzzer, GPIOZeroError, TonalBuzzer

        self._tempo = tempo
        self._slow, self._fast = slow, fast
        self._tonal = cfg.tonal_buzzer
        self._signal: asyncio.Task[None] | None = None
        self._shown: dict[str, LedPattern] = {}
        self._links: tuple[LinkState, LinkState] | None = None
        self._dark = False
        self._devices: list[Any] = []
        try:
            self._pos = self._add(LED, cfg.pos_led, pin_factory)
            self._merchant = self._add(LED, cfg.merchant_led, pin_factory)
            self._status = self._add(LED, cfg.status_led, pin_factory)
            if cfg.tonal_buzzer and cfg.buzzer is not None:
                # octaves=2 reaches C6; the default (1) stops at A5.
                self._buzzer = TonalBuzzer(cfg.buzzer, octaves=2, pin_factory=pin_factory)
                self._devices.append(self._buzzer)
            else:
                self._buzzer = self._add(Buzzer, cfg.buzzer, pin_factory)
        except GPIOZeroError as exc:
            self.close()
            hint = " (a tonal buzzer needs a PWM-capable pin factory)" if cfg.tonal_buzzer else ""
            raise HardwareError(
                f"cannot claim the indicator pins ({exc}){hint}: check the [indicators] pins "
                "and that the user is in the gpio group"
            ) from exc

    def _add(self, cls: Any, pin: int | None, factory: Any) -> Any:
        if pin is None:
            return None
        device = cls(pin, pin_factory=factory)
        self._devices.append(device)
        return device

    def show_links(self, pos: LinkState, merchant: LinkState) -> None:
        """Light the two link LEDs for these states (unchanged LEDs are left alone)."""
        self._links = (pos, merchant)
        if self._dark:
            return
        for name, led, state in (("pos", self._pos, pos), ("merchant", self._merchant, merchant)):
            pattern = link_pattern(state, slow=self._slow, fast=self._fast)
            if led is None or self._shown.get(name) == pattern:
                continue
            self._shown[name] = pattern
            if isinstance(pattern, Blink):
                led.blink(on_time=pattern.on, off_time=pattern.off, background=True)
            elif pattern:
                led.on()
            else:
                led.off()

    def set_dark(self, dark: bool) -> None:
        """Dark: the link LEDs go out while the panel sleeps; lit again as the links say after."""
        if dark == self._dark:
            return
        self._dark = dark
        if dark:
            for led in (self._pos, self._merchant):
                if led is not None:
                    led.off()
            self._shown.clear()
        elif self._links is not None:
            self.show_links(*self._links)

    def signal_success(self) -> asyncio.Task[None]:
        """Play the success tune with the status LED lit; cancels any signal still playing."""
        return self._start(self._success())

    def signal_error(self) -> asyncio.Task[None]:
        """Play the error tune with the status LED flashing; cancels any signal still playing."""
        return self._start(self._error())

    def _start(self, signal: Any) -> asyncio.Task[None]:
        if self._signal is not None and not self._signal.done():
            self._signal.cancel()
        self._signal = asyncio.get_running_loop().create_task(signal)
        return self._signal

    async def _success(self) -> None:
        try:
            self._light(on=True)
            await self._play(SUCCESS_TUNE)
            await asyncio.sleep(SUCCESS_HOLD_S * self._tempo)
        finally:
            self._quiet()

    async def _error(self) -> None:
        flashes = asyncio.ensure_future(self._flash(ERROR_FLASHES))
        try:
            await self._play(ERROR_TUNE)
            await flashes
        finally:
            flashes.cancel()
            self._quiet()

    async def _flash(self, times: int) -> None:
        for _ in range(times):
            self._light(on=True)
            await asyncio.sleep(0.15 * self._tempo)
            self._light(on=False)
            await asyncio.sleep(0.15 * self._tempo)

    async def _play(self, tune: Tune) -> None:
        if self._buzzer is None:
            return
        for note, seconds in tune:
            if note is None:
                self._silence()
            elif self._tonal:
                from gpiozero.tones import Tone

                self._buzzer.play(Tone(note))
            else:
                self._buzzer.on()
            await asyncio.sleep(seconds * self._tempo)
            if not self._tonal:
                # An active buzzer has one pitch: a gap keeps the notes distinct.
                self._buzzer.off()
                await asyncio.sleep(0.03 * self._tempo)
        if self._tonal:
            self._buzzer.stop()

    async def light_each(self, seconds: float) -> dict[str, bool]:
        """Light each fitted LED alone for ``seconds``, in order (the self-test).

        Returns, per LED ("pos", "merchant", "status"), whether its line read back as driven.
        """
        leds = {"pos": self._pos, "merchant": self._merchant, "status": self._status}
        fitted = {name: led for name, led in leds.items() if led is not None}
        for led in fitted.values():
            led.off()
        self._shown.clear()  # show_links must relight the link LEDs afterwards
        driven: dict[str, bool] = {}
        for name, led in fitted.items():
            led.on()
            driven[name] = bool(led.is_lit)
            await asyncio.sleep(seconds)
            led.off()
        return driven

    async def beep(self) -> bool:
        """Play the success tune on the buzzer alone; False if none is fitted."""
        if self._buzzer is None:
            return False
        try:
            await self._play(SUCCESS_TUNE)
        finally:
            self._silence()
        return True

    def _light(self, *, on: bool) -> None:
        if self._status is not None:
            self._status.value = on

    def _quiet(self) -> None:
        self._light(on=False)
        self._silence()

    def _silence(self) -> None:
        if self._buzzer is None:
            return
        if self._tonal:
            self._buzzer.stop()
        else:
            self._buzzer.off()

    def close(self) -> None:
        """Stop any signal, switch everything off and release the pins."""
        if self._signal is not None and not self._signal.done():
            self._signal.cancel()
        for device in self._devices:
            device.close()
        self._devices.clear()
