"""Opens one panel the way ``blink-terminal run`` does, inside a venv made like the role's, with
fakes only where the OS begins, draws a frame, and prints one JSON line of what reached the OS.

Run by tests/field/test_panels.py as ``VENV/bin/python panel_probe.py DRIVER``; it imports only
what is installed in that venv (the project's wheel and the locked dependencies), never tests/.

The fakes stand for what a CI machine lacks: the SPI device node and its ioctls (spidev's
``SpiDev.open``/``writebytes``), the I2C device node and its ioctls (smbus2's ``SMBus.open`` /
``i2c_rdwr`` / ``write_i2c_block_data``) and the GPIO character device (``lgpio``, which the
real rpi-lgpio drives for luma's D/C and reset lines). Everything above them is the real code:
hardware.display, luma.core's spi()/i2c(), rpi-lgpio's RPi.GPIO, luma.oled/luma.lcd drivers.
"""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path
from typing import Any

EVENTS: dict[str, Any] = {"gpio_writes": [], "spi": {}, "i2c": {}}


def fake_lgpio() -> types.ModuleType:
    """The lgpio calls rpi-lgpio makes, answered like the kernel's GPIO character device."""
    lg = types.ModuleType("lgpio")
    modes: dict[int, int] = {}
    levels: dict[int, int] = {}

    class error(Exception):  # lgpio's own name for its exception
        pass

    constants = {
        "SET_PULL_NONE": 0x80,
        "SET_PULL_UP": 0x20,
        "SET_PULL_DOWN": 0x40,
        "SET_BIAS_DISABLE": 0x80,
        "SET_BIAS_PULL_UP": 0x20,
        "SET_BIAS_PULL_DOWN": 0x40,
        "RISING_EDGE": 1,
        "FALLING_EDGE": 2,
        "BOTH_EDGES": 3,
        "GPIO_BUSY": -123,
    }
    for name, value in constants.items():
        setattr(lg, name, value)

    def claim_output(handle: int, gpio: int, level: int, flags: int = 0) -> int:
        modes[gpio] = 0x200 | 0x2 | 0x1  # owned, output, in use
        levels[gpio] = int(level)
        EVENTS["gpio_writes"].append([gpio, int(level)])
        return 0

    def claim_input(handle: int, gpio: int, flags: int = 0) -> int:
        modes[gpio] = 0x100 | 0x1
        return 0

    def free(handle: int, gpio: int) -> int:
        modes.pop(gpio, None)
        return 0

    def write(handle: int, gpio: int, level: int) -> int:
        levels[gpio] = int(level)
        EVENTS["gpio_writes"].append([gpio, int(level)])
        return 0

    lg.error = error  # type: ignore[attr-defined]
    lg.gpiochip_open = lambda chip: 5  # type: ignore[attr-defined]
    lg.gpiochip_close = lambda handle: 0  # type: ignore[attr-defined]
    lg.gpio_claim_output = claim_output  # type: ignore[attr-defined]
    lg.gpio_claim_input = claim_input  # type: ignore[attr-defined]
    lg.gpio_free = free  # type: ignore[attr-defined]
    lg.gpio_write = write  # type: ignore[attr-defined]
    lg.gpio_read = lambda handle, gpio: levels.get(gpio, 0)  # type: ignore[attr-defined]
    lg.gpio_get_mode = lambda handle, gpio: modes.get(gpio, 0)  # type: ignore[attr-defined]
    lg.gpio_get_chip_info = lambda handle: (0, 54, "gpiochip0", "pinctrl-bcm2835")  # type: ignore[attr-defined]
    lg.error_text = lambda code: f"lgpio error {code}"  # type: ignore[attr-defined]
    return lg


class FakeSpiDev:
    """/dev/spidevB.D: records what luma's spi() sets and writes."""

    def __init__(self) -> None:
        self.max_speed_hz = 0
        self.mode = 0

    def open(self, bus: int, device: int) -> None:
        EVENTS["spi"].update(opened=[bus, device], bytes=0, writes=0)

    def writebytes(self, data: list[int]) -> None:
        EVENTS["spi"]["bytes"] += len(data)
        EVENTS["spi"]["writes"] += 1
        EVENTS["spi"]["max_speed_hz"] = self.max_speed_hz

    def close(self) -> None:
        EVENTS["spi"]["closed"] = True


def install_fakes() -> None:
    """Put the fakes where the OS begins, before anything imports lgpio, spidev or smbus2."""
    sys.modules["lgpio"] = fake_lgpio()
    import smbus2
    import spidev

    spidev.SpiDev = FakeSpiDev  # the compiled module is real; only the device node is not

    class FakeSMBus(smbus2.SMBus):  # type: ignore[misc]
        """/dev/i2c-N: the real class, with its file and its ioctls replaced."""

        def open(self, bus: int) -> None:
            self.fd = -1
            EVENTS["i2c"].update(port=bus, data_bytes=0, commands=0, addresses=[])

        def close(self) -> None:
            EVENTS["i2c"]["closed"] = True

        def i2c_rdwr(self, *messages: smbus2.i2c_msg) -> None:
            for message in messages:
                payload = list(message)
                EVENTS["i2c"]["addresses"].append(message.addr)
                if payload and payload[0] == 0x40:  # control byte: data follows
                    EVENTS["i2c"]["data_bytes"] += len(payload) - 1

        def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
            EVENTS["i2c"]["addresses"].append(address)
            EVENTS["i2c"]["commands"] += len(data)

    smbus2.SMBus = FakeSMBus


def main(driver: str, workdir: Path) -> None:
    """Open ``driver`` through hardware.display as ``run`` would, draw a frame, report."""
    install_fakes()
    from gpiozero.pins.mock import MockFactory
    from luma.core.render import canvas

    from hardware.config import DisplayConfig
    from hardware.display import open_display

    spi = driver in ("ssd1351", "st7789")
    table: dict[str, object] = {"driver": driver, "interface": "spi" if spi else "i2c"}
    if driver == "st7789":
        table["gpio_backlight"] = 26
    cfg = DisplayConfig.from_table(table, base_dir=workdir)
    factory = MockFactory(revision="902120")
    display: Any = open_display(cfg, pin_factory=factory)
    with warnings.catch_warnings():
        # luma calls Image.getdata(), deprecated in Pillow 12 (removed in 14: the lock pins 13).
        warnings.simplefilter("ignore", DeprecationWarning)
        with canvas(display) as draw:
            draw.rectangle((0, 0, display.width - 1, display.height - 1), outline="white")
            draw.text((4, 4), "Pay 2100 sat", fill="white")
    if driver == "st7789":
        EVENTS["backlight"] = factory.pin(26).state
    display.cleanup()
    EVENTS.update(size=[display.width, display.height], mode=display.mode)
    print(json.dumps(EVENTS))


if __name__ == "__main__":
    main(sys.argv[1], Path.cwd())
