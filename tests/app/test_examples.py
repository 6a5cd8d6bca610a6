"""The example configurations in examples/ load, as an operator would copy them."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from terminal.admin_pin import hash_pin
from terminal.config import load_config
from terminal.screens.geometry import MIN_QR_SIDE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def install(example: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example in ``folder`` with key files where it expects them (credentials or beside it)."""
    config = folder / example
    shutil.copy(EXAMPLES / example, config)
    creds = folder / "credentials"
    for where, name in [
        (creds, "blinkpos.key"),
        (creds, "merchant.key"),
        (folder / "sandbox-keys", "blinkpos.key"),
        (folder / "sandbox-keys", "merchant.key"),
    ]:
        where.mkdir(exist_ok=True)
        (where / name).write_text("blink_" + "k" * 48)
        (where / name).chmod(0o600)
    pin_file = creds / "admin-pin"
    pin_file.write_text(hash_pin("".join(random.choices("0123456789", k=6)), n=2**10).text())
    pin_file.chmod(0o600)
    if example != "desktop.toml":
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    return config


@pytest.mark.parametrize("example", ["countertop.toml", "market-stall.toml", "desktop.toml"])
def test_each_example_loads(example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(install(example, tmp_path, monkeypatch))
    assert config.blinkpos.key.reveal().startswith("blink_")
    width, height = config.display.size
    # Every example takes payments by QR, so its panel must be able to show one.
    assert config.display.qr
    assert min(width, height) >= MIN_QR_SIDE


def test_the_unit_examples_use_real_hardware(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for example in ("countertop.toml", "market-stall.toml"):
        config = load_config(install(example, tmp_path, monkeypatch))
        assert config.display.is_panel
        assert config.keypad.driver == "matrix"
        assert config.gpio.pin_factory == "lgpio"
        assert config.blink.api_url.startswith("https://")
        assert config.admin.pin is not None  # the till menu has its PIN
