"""Displays: a luma panel on a Pi, or a desktop stand-in, behind one small ``Display`` protocol.

luma devices already have this shape; :func:`open_display` builds the right one from
:class:`DisplayConfig` and turns the OS errors of opening a bus into :class:`HardwareError`
messages an operator can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import IO, Any, Protocol, runtime_checkable

from PIL import Image

from hardware.config import DisplayConfig
from terminal.errors import HardwareError
from terminal.screens.geometry import Geometry
from terminal.screens.labels import KEYPAD_4X4, KeyLabels

log = logging.getLogger(__name__)


@runtime_checkable
class Display(Protocol):
    """A panel: ``display()`` blocks until the frame is on the glass (call it from one thread)."""

    width: int
    height: int
    mode: str

    def display(self, image: Image.Image) -> None: ...
    def show(self) -> None: ...
    def hide(self) -> None: ...
    def cleanup(self) -> None: ...


def geometry_of(display: Display, cfg: DisplayConfig, *, keys: KeyLabels = KEYPAD_4X4) -> Geometry:
    """What the screens should draw for ``display`` (QR only where it can be scanned).

    ``keys`` are the keypad's labels (``Keypad.labels``), which the screens' hints name.
    """
    # luma's ssd1327 takes RGB frames but shows 16 greys: draw with the grey palette.
    mode = "L" if cfg.driver == "ssd1327" else display.mode
    return Geometry.for_panel(display.width, display.height, mode, qr=cfg.qr, keys=keys)


def open_display(
    cfg: DisplayConfig,
    *,
    serial_interface: Any = None,
    stream: IO[str] | None = None,
    pin_factory: Any = None,
) -> Display:
    """The display ``cfg`` names. ``serial_interface`` replaces the bus (tests, the benchmark).

    ``pin_factory`` is the gpiozero factory from ``[gpio]``; a switched st7789 backlight is the
    one line the display drives through gpiozero (see :func:`needs_pin_factory`).
    """
    if cfg.driver == "dummy":
        from luma.core.device import dummy

        width, height = cfg.size
        return dummy(width=width, height=height, rotate=cfg.rotate, mode="RGB")  # type: ignore[no-any-return]
    if cfg.driver == "terminal":
        import sys

        from hardware.tty_display import TerminalDisplay

        width, height = cfg.size
        return TerminalDisplay(width, height, stream=stream or sys.stdout, scale=cfg.terminal_scale)
    if cfg.driver in ("capture", "pygame"):
        return _emulator(cfg)
    bus = serial_interface if serial_interface is not None else _open_bus(cfg)
    return _panel(cfg, bus, pin_factory)


def wiring_hint(cfg: DisplayConfig) -> str:
    """Which wires to check when the panel does not take a frame, from its configured pins."""
    from hardware.header import where

    if cfg.interface == "i2c":
        return (
            f"check SDA to {where(2)}, SCL to {where(3)}, VCC to 3V3, GND to GND, and the address: "
            f"i2cdetect -y {cfg.i2c_port} shows it (display.i2c_address = {cfg.i2c_address:#x})"
        )
    lines = [
        f"DIN to {where(10)}",
        f"CLK to {where(11)}",
        f"CS to {where(7 if cfg.spi_device else 8)}",
    ]
    lines += [
        f"{name} to {where(pin)}"
        for name, pin in (("DC", cfg.gpio_dc), ("RST", cfg.gpio_rst))
        if pin is not None
    ]
    return "check " + ", ".join(lines) + ", VCC to 3V3, GND to GND"


def needs_pin_factory(cfg: DisplayConfig) -> bool:
    """True when the display drives a GPIO line through gpiozero: a switched st7789 backlight."""
    # luma's spi() drives the D/C and reset lines through RPi.GPIO, not gpiozero, so no other
    # panel needs the factory.
    return cfg.driver == "st7789" and cfg.gpio_backlight is not None


def _emulator(cfg: DisplayConfig) -> Display:
    try:
        import luma.emulator.device as emulator

        from hardware.capture import AtomicCapture
    except ImportError as exc:
        raise HardwareError(
            f"display.driver = {cfg.driver!r} needs luma.emulator and pygame: "
            "pip install 'blink-terminal[desktop]'"
        ) from exc
    width, height = cfg.size
    if cfg.driver == "capture":
        assert cfg.capture_dir is not None  # checked by DisplayConfig.from_table
        try:
            cfg.capture_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HardwareError(
                f"cannot create the capture folder {cfg.capture_dir}: {exc.strerror}; "
                "set display.capture_dir to a folder you can write"
            ) from exc
        return AtomicCapture(
            width=width,
            height=height,
            rotate=cfg.rotate,
            mode="RGB",
            file_template=str(cfg.capture_dir / "frame_{0:06}.png"),
            transform="none",
        )
    try:
        return emulator.pygame(  # type: ignore[no-any-return]
            width=width,
            height=height,
            rotate=cfg.rotate,
            mode="RGB",
            transform="scale2x",
            scale=2,
        )
    except Exception as exc:  # pygame raises its own error type when there is no video device
        raise HardwareError(
            f'cannot open a pygame window ({exc}); use display.driver = "terminal" on a '
            "headless machine, or set SDL_VIDEODRIVER"
        ) from exc


def _open_bus(cfg: DisplayConfig) -> Any:
    from luma.core import error as luma_error
    from luma.core.interface.serial import i2c, spi

    try:
        if cfg.interface == "i2c":
            return i2c(port=cfg.i2c_port, address=cfg.i2c_address)
        return spi(
            port=cfg.spi_port,
            device=cfg.spi_device,
            bus_speed_hz=cfg.spi_speed_hz,
            gpio_DC=cfg.gpio_dc,
            gpio_RST=cfg.gpio_rst,
        )
    except luma_error.DevicePermissionError as exc:
        group = "i2c" if cfg.interface == "i2c" else "spi"
        raise HardwareError(
            f"no permission to open the {cfg.interface.upper()} bus: add the user to the "
            f"{group} group (sudo usermod -aG {group} $USER) and log in again"
        ) from exc
    except luma_error.DeviceNotFoundError as exc:
        if cfg.interface == "i2c":
            fix = (
                f"enable I2C with raspi-config (Interface Options > I2C), then check "
                f"/dev/i2c-{cfg.i2c_port} exists"
            )
        else:
            fix = (
                f"enable SPI with raspi-config (Interface Options > SPI), then check "
                f"/dev/spidev{cfg.spi_port}.{cfg.spi_device} exists"
            )
        raise HardwareError(f"the {cfg.interface.upper()} bus is not there: {fix}") from exc
    except luma_error.DeviceAddressError as exc:
        raise HardwareError(
            f"bad I2C address {cfg.i2c_address:#x}: run i2cdetect -y {cfg.i2c_port} and set "
            "display.i2c_address to what it shows"
        ) from exc
    except (ImportError, RuntimeError) as exc:
        # luma's spi() imports RPi.GPIO for the D/C and reset lines.
        raise HardwareError(
            f"cannot drive the SPI panel's D/C and reset lines ({exc}); on a Pi 5 or "
            "Bookworm install rpi-lgpio (pip install rpi-lgpio)"
        ) from exc
    except OSError as exc:
        raise HardwareError(
            f"cannot open the {cfg.interface.upper()} bus ({exc.strerror}): check the wiring "
            "and that the interface is enabled in raspi-config"
        ) from exc


def _panel(cfg: DisplayConfig, bus: Any, pin_factory: Any) -> Display:
    from luma.core import error as luma_error

    try:
        device = _make_panel(cfg, bus, pin_factory)
    except luma_error.DeviceNotFoundError as exc:
        raise HardwareError(
            f"the {cfg.driver} panel does not answer: check its wiring and power; on I2C run "
            f"i2cdetect -y {cfg.i2c_port} to find its address"
        ) from exc
    except OSError as exc:
        raise HardwareError(
            f"the {cfg.driver} panel does not answer ({exc.strerror}): check the wiring, "
            "display.interface and display.i2c_address"
        ) from exc
    if cfg.driver != "st7789":
        device.contrast(cfg.contrast)
    if cfg.interface == "i2c" and cfg.i2c_speed_hz < 400_000:
        log.warning(
            "the I2C bus runs at %d Hz: frames will be slow; add "
            "dtparam=i2c_arm_baudrate=400000 to /boot/firmware/config.txt",
            cfg.i2c_speed_hz,
        )
    return device  # type: ignore[no-any-return]


def _make_panel(cfg: DisplayConfig, bus: Any, pin_factory: Any) -> Any:
    if cfg.driver == "st7789":
        from luma.lcd.device import st7789

        # Without a callable luma imports RPi.GPIO for the backlight, which a Pi 5 lacks.
        light = _backlight(cfg, pin_factory)
        return st7789(serial_interface=bus, rotate=cfg.rotate, backlight=light)
    from luma.oled import device as oled

    cls = getattr(oled, cfg.driver)
    width, height = cfg.size
    return cls(serial_interface=bus, width=width, height=height, rotate=cfg.rotate)


class _GpioBacklight:
    """The st7789 backlight on a gpiozero LED (luma calls it with True/False)."""

    def __init__(self, pin: int, pin_factory: Any) -> None:
        from gpiozero import LED

        self._led = LED(pin, pin_factory=pin_factory)

    def __call__(self, on: bool) -> None:
        self._led.value = bool(on)

    def cleanup(self) -> None:
        """Release the pin; luma's ``cleanup()`` calls this after switching the light off."""
        self._led.close()


def _backlight(cfg: DisplayConfig, pin_factory: Any) -> Callable[[bool], None]:
    if cfg.gpio_backlight is None:
        return _no_backlight
    return _GpioBacklight(cfg.gpio_backlight, pin_factory)


def _no_backlight(on: bool) -> None:
    """The backlight is wired to 3V3: nothing to switch."""
    del on
