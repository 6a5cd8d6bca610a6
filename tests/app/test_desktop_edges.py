"""Rough edges an operator meets first: a config that is not UTF-8, a busy sandbox port, and
``run`` stopping on a configuration or hardware error with the reason on the panel."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from terminal.cli import main
from terminal.config import load_config
from terminal.errors import ConfigError, HardwareError
from terminal.screens.geometry import ALL_GEOMETRIES, SSD1351, Geometry
from terminal.screens.model import View
from terminal.screens.render import render
from terminal.stop_screen import STOPPED, config_error_screen, hardware_error_screen


def unit(
    folder: Path, *, terminal: str = "", power: str = "none", display: str = "capture"
) -> Path:
    """A configuration for ``run`` whose panel is PNG frames in ``folder/frames``."""
    key = folder / "pos.key"
    key.write_text("blink_" + "k" * 48)
    key.chmod(0o600)
    config = folder / "terminal.toml"
    config.write_text(
        f'[terminal]\nname = "Café"\n{terminal}\n'
        '[blinkpos]\nkey_file = "pos.key"\n[merchant]\nusername = "shop"\n'
        f'[display]\ndriver = "{display}"\ncapture_dir = "frames"\n'
        f'[keypad]\ndriver = "none"\n[power]\ndriver = "{power}"\n',
        encoding="utf-8",
    )
    return config


def only_frame(folder: Path) -> Image.Image:
    frames = sorted((folder / "frames").glob("frame_*.png"))
    assert len(frames) == 1, frames
    return Image.open(frames[0]).convert("RGB")


def same(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


@pytest.mark.parametrize("verb", ["run", "check", "history", "selftest"])
def test_a_config_that_is_not_utf8_is_exit_2_naming_the_file(
    verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "terminal.toml"
    config.write_bytes('[terminal]\nname = "Café"\n'.encode("latin-1"))
    assert main([verb, "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}: is not UTF-8 text" in err
    assert "Traceback" not in err


def test_a_busy_sandbox_port_is_said_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in err
    assert "--port" in err


def test_run_shows_a_configuration_error_on_the_panel(tmp_path: Path) -> None:
    config = unit(tmp_path, terminal="max_amount_sats = 0")
    assert main(["run", "--config", str(config)]) == 2
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    screen = config_error_screen(refused.value)
    assert screen.detail.startswith("terminal.max_amount_sats: ")
    assert same(only_frame(tmp_path), render(View(screen, STOPPED), SSD1351))


def test_run_shows_a_part_that_cannot_open_on_the_panel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An INA219 gauge on a machine with no I2C bus (or no smbus2): the hardware cannot open.
    config = unit(tmp_path, power="ina219")
    assert main(["run", "--config", str(config)]) == 5
    logged = capsys.readouterr().err.splitlines()
    message = next(line for line in logged if "i2c" in line.lower()).split(": ", 1)[1]
    expected = render(View(hardware_error_screen(HardwareError(message)), STOPPED), SSD1351)
    assert same(only_frame(tmp_path), expected)


def test_no_screen_when_the_display_section_itself_is_wrong(tmp_path: Path) -> None:
    config = unit(tmp_path, display="no-such-panel")
    assert main(["run", "--config", str(config)]) == 2
    assert not (tmp_path / "frames").exists()


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=lambda g: f"{g.width}x{g.height}{g.mode}")
def test_the_stop_screens_draw_on_every_panel(geometry: Geometry) -> None:
    # Long texts wrap and stop at the bottom edge; the title is always there.
    error = ConfigError("keypad.col_pins", "a 3x4 keypad has 3 columns", "list 3 BCM pins")
    for screen in (config_error_screen(error), hardware_error_screen(HardwareError("x " * 200))):
        image = render(View(screen, STOPPED), geometry)
        assert image.size == (geometry.width, geometry.height)
        assert image.convert("L").getbbox() is not None
