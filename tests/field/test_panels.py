"""A venv made exactly as the role makes it drives every panel the docs name: it imports what
each one needs (``check --offline`` passes), and each panel is built through the real luma
classes and hardware.display, with fakes only at the OS boundary, and draws a frame."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.field.conftest import run_in_field_venv

PROBE = Path(__file__).with_name("panel_probe.py")
SPI = ("ssd1351", "st7789")
I2C = ("ssd1306", "sh1106", "ssd1309", "ssd1327")
TEXT_ONLY = ("ssd1306", "sh1106", "ssd1309")  # 128x64: no scannable QR, so qr = false

CONFIG = """\
[terminal]
state_dir = "state"
[blinkpos]
key_file = "pos.key"
[merchant]
username = "merchant"
[display]
driver = "{driver}"
interface = "{interface}"
qr = {qr}
[keypad]
driver = "matrix"
layout = "4x4"
[indicators]
driver = "gpio"
[gpio]
pin_factory = "lgpio"
"""


@pytest.mark.parametrize("driver", SPI + I2C)
def test_the_field_venv_passes_check_for_each_panel(
    driver: str, field_venv: Path, tmp_path: Path
) -> None:
    key = tmp_path / "pos.key"
    key.write_text("blink_" + "k" * 48)
    key.chmod(0o600)
    config = tmp_path / "terminal.toml"
    interface = "spi" if driver in SPI else "i2c"
    qr = "false" if driver in TEXT_ONLY else "true"
    config.write_text(CONFIG.format(driver=driver, interface=interface, qr=qr))
    done = run_in_field_venv(
        field_venv, ["blink-terminal", "check", "--offline", "--config", config], tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert f"ok    display: {driver}" in done.stdout


def probe(driver: str, venv: Path, workdir: Path) -> dict[str, object]:
    done = run_in_field_venv(venv, ["python", PROBE, driver], workdir)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


# Bytes one full frame puts on the bus: ssd1351 RGB565 (2 bytes a pixel), luma's st7789 18-bit
# colour (3 bytes a pixel).
SPI_FRAME_BYTES = {"ssd1351": 128 * 128 * 2, "st7789": 240 * 240 * 3}


@pytest.mark.parametrize("driver", SPI)
def test_an_spi_panel_draws_a_frame(driver: str, field_venv: Path, tmp_path: Path) -> None:
    seen = probe(driver, field_venv, tmp_path)
    spi = seen["spi"]
    assert isinstance(spi, dict)
    assert spi["opened"] == [0, 0]  # /dev/spidev0.0, the configured bus and chip select
    assert spi["max_speed_hz"] == 16_000_000
    assert spi["bytes"] >= SPI_FRAME_BYTES[driver]
    assert spi["closed"] is True
    writes = seen["gpio_writes"]
    assert isinstance(writes, list)
    # rpi-lgpio drove luma's lines on the GPIO chip: reset (25) pulsed low then high, and D/C
    # (24) low for commands and high for the frame's data.
    reset = [level for pin, level in writes if pin == 25]
    assert reset[-1] == 1, reset
    assert 0 in reset[:-1], reset
    assert {level for pin, level in writes if pin == 24} == {0, 1}
    if driver == "st7789":
        assert seen["backlight"] is True  # the gpiozero backlight, on the mock pin factory


@pytest.mark.parametrize("driver", I2C)
def test_an_i2c_panel_draws_a_frame(driver: str, field_venv: Path, tmp_path: Path) -> None:
    seen = probe(driver, field_venv, tmp_path)
    i2c = seen["i2c"]
    assert isinstance(i2c, dict)
    assert i2c["port"] == 1
    assert set(i2c["addresses"]) == {0x3C}
    assert i2c["commands"] > 0
    width, height = seen["size"]  # type: ignore[misc]
    # 1 bit a pixel on the 128x64 panels, 4 bits on the greyscale ssd1327.
    bits = 4 if driver == "ssd1327" else 1
    assert i2c["data_bytes"] >= width * height * bits // 8
    assert i2c["closed"] is True
    assert seen["gpio_writes"] == []  # an I2C panel has no D/C or reset line to drive
