"""``blink-terminal selftest``: open every configured part the way ``run`` does, and exercise it.

A verb of its own rather than ``check --hardware``: ``check`` only reads, so it is safe beside the
running service at any time, while the self-test drives the outputs (the panel changes, the LEDs
light, the buzzer beeps) and needs the GPIO lines to itself; it reads only the hardware sections
of the configuration (:func:`hardware.config.load_hardware`), so it needs no key and runs before
the keys are installed; and its exit codes are its own: 0 every part works, 5 a part failed,
2 the configuration is invalid.

Parts, one line each as they are tested: the GPIO chip, the display (a test card whose QR is
laid out like an invoice's: if a phone reads it, invoices scan), each LED in turn, a beep, the
keypad ("press each key", shown on the panel and the console; with ``--non-interactive`` only a
check that no key reads pressed), the battery reading. Every part is opened through the classes
in ``hardware/`` that ``run`` uses, so a pass here means ``run`` can open it too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from hardware import open_battery, open_display, open_keypad, open_pin_factory
from hardware.config import HardwareConfig, load_hardware
from hardware.display import Display, geometry_of, needs_pin_factory, wiring_hint
from hardware.header import where
from hardware.indicators import GpioIndicators
from hardware.keypad import Keypad, MatrixKeypad
from terminal import logsetup
from terminal.config import DEFAULT_PATH
from terminal.errors import ConfigError, HardwareError
from terminal.screens.draw import in_mode
from terminal.screens.geometry import Geometry
from terminal.screens.model import Screen, TestCard, View
from terminal.screens.render import render
from terminal.selftest_keypad import press_each_key, stuck_keys

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_STOPPED = 1
EXIT_CONFIG = 2
EXIT_HARDWARE = 5

# As long as a typical invoice (~270 characters), so its QR gets the same version and module
# size: a phone that reads the test card reads invoices on this panel.
CARD_TEXT = (
    "BLINK TERMINAL SELF-TEST: A PHONE THAT READS THIS CODE READS INVOICES ON THIS PANEL. " * 4
)[:262]


def add_selftest_verb(subparsers: Any) -> None:
    """Add ``selftest`` to the CLI."""
    verb = subparsers.add_parser(
        "selftest",
        help="exercise the display, LEDs, buzzer, keypad and battery (stop the service first)",
    )
    verb.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, help="terminal.toml (default: %(default)s)"
    )
    verb.add_argument(
        "--non-interactive",
        action="store_true",
        help="skip the key-press test (for provisioning): only check that no key reads pressed",
    )
    verb.add_argument(
        "--key-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the next key before giving up (default: %(default)s)",
    )
    verb.set_defaults(handler=cmd_selftest)


def cmd_selftest(args: argparse.Namespace) -> int:
    """Run the self-test; 0 all parts work, 5 one failed, 2 the configuration is invalid."""
    logsetup.configure("error")  # each failure is one of the lines below
    try:
        hw = load_hardware(args.config)
    except ConfigError as exc:
        print(f"blink-terminal: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    test = SelfTest(
        hw, out=sys.stdout, interactive=not args.non_interactive, key_timeout=args.key_timeout
    )
    try:
        outcomes = asyncio.run(test.run())
    except KeyboardInterrupt:
        print("self-test stopped", file=sys.stderr)
        return EXIT_STOPPED
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_HARDWARE


@dataclass(frozen=True)
class Outcome:
    """One part's result: ``detail`` says what was done, or what failed and what to check."""

    part: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The console line for this part."""
        return f"{self.part:<15} {'ok' if self.ok else 'FAILED':<6}  {self.detail}"


class SelfTest:
    """Opens, exercises and closes each configured part; prints one line per part.

    ``display`` and ``pin_factory`` replace the configured ones (tests: a luma dummy that keeps its
    frames, a gpiozero ``MockFactory``); ``step_seconds`` is how long each LED stays lit.
    """

    def __init__(
        self,
        hw: HardwareConfig,
        *,
        out: TextIO,
        interactive: bool,
        key_timeout: float = 30.0,
        step_seconds: float = 0.6,
        display: Display | None = None,
        pin_factory: Any = None,
        stdin: TextIO | None = None,
    ) -> None:
        self._hw = hw
        self._out = out
        self._interactive = interactive
        self._key_timeout = key_timeout
        self._step = step_seconds
        self._display = display
        self._factory = pin_factory
        self._own_factory = False
        self._stdin = stdin
        self._geometry: Geometry | None = None
        self._outcomes: list[Outcome] = []
        self._closers: list[Callable[[], None]] = []

    async def run(self) -> list[Outcome]:
        """Test every part in turn; the outcomes, in order."""
        try:
            gpio_ok = self._open_gpio()
            keypad = self._open_keypad(gpio_ok)
            await self._test_display(keypad)
            await self._test_indicators(gpio_ok)
            await self._test_keypad(keypad)
            await self._test_battery()
            failed = [o.part for o in self._outcomes if not o.ok]
            summary = f"{len(failed)} failed: {', '.join(failed)}" if failed else "all parts ok"
            self._say(f"self-test: {summary}")
            self._draw(TestCard(f"Self-test: {'FAILED' if failed else 'ok'}", CARD_TEXT, summary))
        finally:
            self._close()
        return self._outcomes

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def _record(self, part: str, ok: bool, detail: str) -> None:
        if not ok and "busy" in detail.lower():
            detail += "; is the terminal running? stop it first: sudo systemctl stop blink-terminal"
        outcome = Outcome(part, ok, detail)
        self._outcomes.append(outcome)
        self._say(outcome.line())

    # -- GPIO -----------------------------------------------------------------------------------

    def _needs_gpio(self) -> bool:
        hw = self._hw
        return (
            hw.keypad.driver == "matrix"
            or hw.indicators.driver == "gpio"
            or needs_pin_factory(hw.display)
        )

    def _open_gpio(self) -> bool:
        if not self._needs_gpio():
            return True
        if self._factory is None:
            try:
                self._factory = open_pin_factory(self._hw.gpio)
            except HardwareError as exc:
                self._record("gpio", False, str(exc))
                return False
            self._own_factory = True
        self._record("gpio", True, f"pins through {type(self._factory).__name__}")
        return True

    # -- display ----------------------------------------------------------------------------------

    async def _test_display(self, keypad: Keypad | None) -> None:
        cfg = self._hw.display
        display = self._display
        if display is None:
            try:
                display = open_display(cfg, pin_factory=self._factory)
            except HardwareError as exc:
                self._record("display", False, str(exc))
                return
            self._display = display
        if keypad is not None:
            geometry = geometry_of(display, cfg, keys=keypad.labels)
        else:
            geometry = geometry_of(display, cfg)
        size = f"{cfg.driver} {geometry.width}x{geometry.height}"
        detail = "text panel: invoices are shown as text, no QR"
        try:
            await asyncio.to_thread(
                self._write, display, geometry, TestCard(f"Self-test {size}", CARD_TEXT, detail)
            )
        except (OSError, HardwareError) as exc:
            self._display = None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._record(
                "display", False, f"the panel did not take a frame ({reason}): {wiring_hint(cfg)}"
            )
            return
        self._geometry = geometry
        if geometry.qr_capable:
            what = "a test card with a QR laid out like an invoice's: scan it with a phone"
        else:
            what = "a test card (text only: this panel cannot show a scannable invoice)"
        self._record("display", True, f"{size}: {what}")

    def _write(self, display: Display, geometry: Geometry, screen: Screen) -> None:
        display.display(in_mode(render(View(screen), geometry), display.mode))

    def _draw(self, screen: Screen) -> None:
        """Best effort: a part that failed to draw was already reported."""
        if self._display is None or self._geometry is None:
            return
        try:
            self._write(self._display, self._geometry, screen)
        except (OSError, HardwareError) as exc:
            log.warning("the panel stopped taking frames: %s", exc)
            self._display = None

    # -- LEDs and buzzer --------------------------------------------------------------------------

    async def _test_indicators(self, gpio_ok: bool) -> None:
        cfg = self._hw.indicators
        if cfg.driver == "none":
            self._record("indicators", True, 'none fitted ([indicators] driver = "none")')
            return
        if not gpio_ok:
            self._record("indicators", False, "not tested: the GPIO chip did not open (see gpio)")
            return
        try:
            lights = GpioIndicators(cfg, pin_factory=self._factory, tempo=self._step / 0.6)
        except HardwareError as exc:
            self._record("indicators", False, str(exc))
            return
        self._closers.append(lights.close)
        pins = {"pos": cfg.pos_led, "merchant": cfg.merchant_led, "status": cfg.status_led}
        driven = await lights.light_each(self._step)
        for name, ok in driven.items():
            pin = pins[name]
            assert pin is not None  # only fitted LEDs are lit
            if ok:
                detail = (
                    f"lit for {self._step:.1f} s on {where(pin)}; dark? the long leg (anode) goes "
                    "to the resistor from the GPIO, the short leg (flat side) to GND"
                )
            else:
                detail = f"{where(pin)} did not read back high: is the pin shorted to GND?"
            self._record(f"LED {name}", ok, detail)
        await self._test_buzzer(lights)

    async def _test_buzzer(self, lights: GpioIndicators) -> None:
        cfg = self._hw.indicators
        if cfg.buzzer is None:
            self._record("buzzer", True, "none fitted (indicators.buzzer = -1)")
            return
        kind = "passive piezo, tones by PWM" if cfg.tonal_buzzer else "active buzzer"
        try:
            await lights.beep()
        except Exception as exc:  # gpiozero raises its own types (PinPWMUnsupported, ...)
            self._record("buzzer", False, f"cannot sound the {kind} on {where(cfg.buzzer)}: {exc}")
            return
        self._record(
            "buzzer",
            True,
            f"played the success tune ({kind}) on {where(cfg.buzzer)}; silent? check the NPN "
            "transistor: base through 1 kΩ from the GPIO, emitter to GND, buzzer between 5V "
            "and the collector, diode across the buzzer",
        )

    # -- keypad -----------------------------------------------------------------------------------

    def _open_keypad(self, gpio_ok: bool) -> Keypad | None:
        cfg = self._hw.keypad
        if cfg.driver == "none":
            return None
        if cfg.driver == "matrix" and not gpio_ok:
            return None
        try:
            keypad = open_keypad(cfg, pin_factory=self._factory, stream=self._stdin)
        except HardwareError as exc:
            self._record("keypad", False, str(exc))
            return None
        self._closers.append(keypad.close)
        return keypad

    async def _test_keypad(self, keypad: Keypad | None) -> None:
        cfg = self._hw.keypad
        if cfg.driver == "none":
            self._record("keypad", True, 'none fitted ([keypad] driver = "none")')
            return
        if keypad is None:
            if not any(o.part == "keypad" for o in self._outcomes):
                self._record("keypad", False, "not tested: the GPIO chip did not open (see gpio)")
            return
        if isinstance(keypad, MatrixKeypad):
            stuck = keypad.scan()
            if stuck:
                self._record("keypad", False, stuck_keys(cfg, keypad, stuck))
                return
        if not self._interactive:
            done = "pins claimed, no key reads pressed" if cfg.driver == "matrix" else "opened"
            self._record("keypad", True, f"{cfg.driver} keypad {done} (press test skipped)")
            return
        ok, detail = await press_each_key(
            keypad, cfg, idle_seconds=self._key_timeout, say=self._say, draw=self._draw
        )
        self._record("keypad", ok, detail)

    # -- battery ----------------------------------------------------------------------------------

    async def _test_battery(self) -> None:
        cfg = self._hw.power
        if cfg.driver == "none":
            self._record("battery", True, 'none fitted ([power] driver = "none": mains)')
            return
        try:
            reading = await open_battery(cfg).read()
        except HardwareError as exc:
            self._record("battery", False, str(exc))
            return
        if reading is None:
            if cfg.driver == "pisugar":
                fix = (
                    f"is pisugar-server running and listening on {cfg.pisugar_host}:"
                    f"{cfg.pisugar_port}? (systemctl status pisugar-server)"
                )
            else:
                fix = (
                    f"no INA219 answers at {cfg.ina219_address:#x} on I2C bus {cfg.i2c_port}: "
                    f"is the HAT seated? i2cdetect -y {cfg.i2c_port} lists it"
                )
            self._record("battery", False, f"no reading ({cfg.driver}): {fix}")
            return
        charging = ", charging" if reading.charging else ""
        self._record("battery", True, f"{reading.percent} %{charging} ({cfg.driver})")

    # -- closing ----------------------------------------------------------------------------------

    def _close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        if self._display is not None:
            # Keep the last card lit after exit, so its QR can still be scanned.
            if hasattr(self._display, "persist"):
                self._display.persist = True
            with contextlib.suppress(Exception):
                self._display.cleanup()
        if self._own_factory and self._factory is not None:
            self._factory.close()
