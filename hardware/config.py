"""The [display] [keypad] [indicators] [power] [gpio] sections: frozen, validated once at start-up.

Each ``from_table`` refuses unknown keys (a typo must not silently fall back to a default),
checks types and ranges, and raises :class:`terminal.errors.ConfigError` naming the setting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from hardware.pin_table import PinTable, no_duplicates
from hardware.power_config import PowerConfig
from terminal.config_table import Table
from terminal.errors import ConfigError

PANELS_128X128 = ("ssd1351", "ssd1327")
PANELS_128X64 = ("sh1106", "ssd1306", "ssd1309")
PANELS_240X240 = ("st7789",)
PANELS = PANELS_128X128 + PANELS_128X64 + PANELS_240X240
DESKTOP_DISPLAYS = ("dummy", "capture", "pygame", "terminal")
# luma's spi() accepts only these clock rates.
SPI_SPEEDS_HZ = tuple(
    int(mhz * 1_000_000) for mhz in (0.5, 1, 2, 4, 8, 16, 20, 24, 28, 32, 36, 40, 44, 48, 50, 52)
)


@dataclass(frozen=True)
class DisplayConfig:
    """Which panel (or desktop stand-in), on which bus, turned and lit how."""

    driver: str = "dummy"
    interface: str = "spi"
    i2c_port: int = 1
    i2c_address: int = 0x3C
    i2c_speed_hz: int = 400_000  # set in config.txt; used for bus-time figures and warnings
    spi_port: int = 0
    spi_device: int = 0
    spi_speed_hz: int = 16_000_000
    gpio_dc: int | None = 24
    gpio_rst: int | None = 25
    gpio_backlight: int | None = None  # st7789: None = backlight wired to 3V3
    rotate: int = 0
    contrast: int = 255
    capture_dir: Path | None = None
    terminal_scale: int = 1  # terminal driver: panel pixels per character column
    qr: bool = True

    @classmethod
    def from_table(cls, table: Mapping[str, object], *, base_dir: Path) -> Self:
        """The [display] section, validated."""
        t = PinTable("display", table)
        driver = t.choice("driver", cls.driver, PANELS + DESKTOP_DISPLAYS)
        capture = t.get("capture_dir", str, "")
        spi_speed = t.get("spi_speed_hz", int, cls.spi_speed_hz)
        if spi_speed not in SPI_SPEEDS_HZ:
            raise ConfigError(
                "display.spi_speed_hz",
                f"{spi_speed} Hz is not a supported rate",
                "use 8000000, 16000000, 32000000 or another whole-MHz luma rate",
            )
        made = cls(
            driver=driver,
            interface=t.choice("interface", cls.interface, ("spi", "i2c")),
            i2c_port=t.number("i2c_port", cls.i2c_port, 0, 31),
            i2c_address=t.number("i2c_address", cls.i2c_address, 0x03, 0x77),
            i2c_speed_hz=t.number("i2c_speed_hz", cls.i2c_speed_hz, 10_000, 3_400_000),
            spi_port=t.number("spi_port", cls.spi_port, 0, 6),
            spi_device=t.number("spi_device", cls.spi_device, 0, 2),
            spi_speed_hz=spi_speed,
            gpio_dc=t.pin("gpio_dc", cls.gpio_dc),
            gpio_rst=t.pin("gpio_rst", cls.gpio_rst),
            gpio_backlight=t.pin("gpio_backlight", None),
            rotate=t.number("rotate", cls.rotate, 0, 3),
            contrast=t.number("contrast", cls.contrast, 0, 255),
            capture_dir=(base_dir / capture) if capture else None,
            terminal_scale=t.number("terminal_scale", cls.terminal_scale, 1, 4),
            qr=t.get("qr", bool, cls.qr),
        )
        t.finish()
        if driver == "capture" and made.capture_dir is None:
            raise ConfigError(
                "display.capture_dir",
                "the capture driver needs a folder",
                'set capture_dir = "frames"',
            )
        if driver == "st7789" and made.interface != "spi":
            raise ConfigError(
                "display.interface", "the st7789 is an SPI panel", 'set interface = "spi"'
            )
        if made.interface == "spi" and driver in PANELS and made.gpio_dc is None:
            raise ConfigError(
                "display.gpio_dc",
                "an SPI panel needs its D/C line",
                "set gpio_dc to the BCM pin wired to DC",
            )
        return made

    @property
    def is_panel(self) -> bool:
        """True for real hardware, False for the desktop stand-ins."""
        return self.driver in PANELS

    @property
    def size(self) -> tuple[int, int]:
        """Panel size in pixels, before rotation (desktop stand-ins mimic a 128x128 ssd1351)."""
        if self.driver in PANELS_128X64:
            return (128, 64)
        if self.driver in PANELS_240X240:
            return (240, 240)
        return (128, 128)


@dataclass(frozen=True)
class KeypadConfig:
    """A matrix keypad (rows driven, columns read), the desktop keyboard, or none."""

    driver: str = "stdin"
    layout: str = "4x4"
    row_pins: tuple[int, ...] = (5, 6, 13, 19)
    col_pins: tuple[int, ...] = (12, 16, 20, 21)
    labels: tuple[str, ...] = ()  # one string per row; empty = the layout's standard labels
    scan_ms: int = 15

    @classmethod
    def from_table(cls, table: Mapping[str, object], *, base_dir: Path) -> Self:
        """The [keypad] section, validated."""
        del base_dir  # no paths in this section
        t = PinTable("keypad", table)
        layout = t.choice("layout", cls.layout, ("4x4", "3x4"))
        default_cols = cls.col_pins if layout == "4x4" else cls.col_pins[:3]
        made = cls(
            driver=t.choice("driver", cls.driver, ("matrix", "stdin", "none")),
            layout=layout,
            row_pins=t.pins("row_pins", cls.row_pins),
            col_pins=t.pins("col_pins", default_cols),
            labels=t.labels("labels"),
            scan_ms=t.number("scan_ms", cls.scan_ms, 5, 100),
        )
        t.finish()
        n_cols = 4 if layout == "4x4" else 3
        if len(made.row_pins) != 4:
            raise ConfigError("keypad.row_pins", f"a {layout} keypad has 4 rows", "list 4 BCM pins")
        if len(made.col_pins) != n_cols:
            raise ConfigError(
                "keypad.col_pins",
                f"a {layout} keypad has {n_cols} columns",
                f"list {n_cols} BCM pins",
            )
        both = {f"row_pins[{i}]": p for i, p in enumerate(made.row_pins)}
        both |= {f"col_pins[{i}]": p for i, p in enumerate(made.col_pins)}
        no_duplicates("keypad", both)
        if made.labels and (len(made.labels) != 4 or any(len(r) != n_cols for r in made.labels)):
            raise ConfigError(
                "keypad.labels",
                f"needs 4 strings of {n_cols} characters",
                'e.g. labels = ["123A", "456B", "789C", "*0#D"]',
            )
        return made


@dataclass(frozen=True)
class IndicatorConfig:
    """LEDs for the two links and the sale status, and a buzzer."""

    driver: str = "none"
    pos_led: int | None = 17
    merchant_led: int | None = 27
    status_led: int | None = 22
    buzzer: int | None = 18
    tonal_buzzer: bool = False

    @classmethod
    def from_table(cls, table: Mapping[str, object], *, base_dir: Path) -> Self:
        """The [indicators] section, validated."""
        del base_dir
        t = PinTable("indicators", table)
        made = cls(
            driver=t.choice("driver", cls.driver, ("gpio", "none")),
            pos_led=t.pin("pos_led", cls.pos_led),
            merchant_led=t.pin("merchant_led", cls.merchant_led),
            status_led=t.pin("status_led", cls.status_led),
            buzzer=t.pin("buzzer", cls.buzzer),
            tonal_buzzer=t.get("tonal_buzzer", bool, cls.tonal_buzzer),
        )
        t.finish()
        no_duplicates(
            "indicators",
            {
                "pos_led": made.pos_led,
                "merchant_led": made.merchant_led,
                "status_led": made.status_led,
                "buzzer": made.buzzer,
            },
        )
        return made


PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")


@dataclass(frozen=True)
class GpioConfig:
    """Which gpiozero pin factory drives the pins."""

    pin_factory: str = "lgpio"
    mock_revision: str = field(default="902120")  # mock only: the Pi model to pretend to be

    @classmethod
    def from_table(cls, table: Mapping[str, object], *, base_dir: Path) -> Self:
        """The [gpio] section, validated."""
        del base_dir
        t = Table("gpio", table)
        made = cls(
            pin_factory=t.choice("pin_factory", cls.pin_factory, PIN_FACTORIES),
            mock_revision=t.get("mock_revision", str, cls.mock_revision),
        )
        t.finish()
        return made


@dataclass(frozen=True)
class HardwareConfig:
    """The hardware sections of the configuration on their own: what the self-test opens.

    Reading only these needs no key file, so ``selftest`` runs as any user with GPIO access, and
    before the keys are installed.
    """

    display: DisplayConfig
    keypad: KeypadConfig
    indicators: IndicatorConfig
    power: PowerConfig
    gpio: GpioConfig

    @classmethod
    def from_document(cls, document: Mapping[str, object], *, base_dir: Path) -> Self:
        """The five sections of an already-parsed configuration, validated."""

        def table(name: str) -> Mapping[str, object]:
            value = document.get(name, {})
            if not isinstance(value, Mapping):
                raise ConfigError(name, "must be a table", f"write [{name}] on a line of its own")
            return value

        return cls(
            display=DisplayConfig.from_table(table("display"), base_dir=base_dir),
            keypad=KeypadConfig.from_table(table("keypad"), base_dir=base_dir),
            indicators=IndicatorConfig.from_table(table("indicators"), base_dir=base_dir),
            power=PowerConfig.from_table(table("power"), base_dir=base_dir),
            gpio=GpioConfig.from_table(table("gpio"), base_dir=base_dir),
        )


def read_toml(path: Path) -> dict[str, object]:
    """The parsed TOML document at ``path``: one reader for every verb; ConfigError naming the
    file and the fix on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "--config", f"{path} does not exist", "give the path of terminal.toml"
        ) from None
    except PermissionError:
        raise ConfigError(
            "--config",
            f"{path} cannot be read by this user",
            "run the command with sudo (on a provisioned unit the file is root's and the "
            "service's), or check its permissions",
        ) from None
    except OSError as exc:
        raise ConfigError(
            "--config", f"cannot read {path}: {exc.strerror}", "check its permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), f"is not UTF-8 text (byte {exc.start})", "save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML: {exc}", "fix the line named") from exc


def load_hardware(path: Path) -> HardwareConfig:
    """The hardware sections of the configuration file at ``path``; ConfigError on any problem."""
    return HardwareConfig.from_document(read_toml(path), base_dir=path.parent)
