"""Validation of the hardware config sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardware.config import (
    DisplayConfig,
    GpioConfig,
    IndicatorConfig,
    KeypadConfig,
    PowerConfig,
)
from terminal.errors import ConfigError

BASE = Path("/etc/blink-terminal")


def test_documented_example_loads() -> None:
    display = DisplayConfig.from_table(
        {
            "driver": "ssd1351",
            "interface": "spi",
            "i2c_port": 1,
            "i2c_address": 0x3C,
            "spi_port": 0,
            "spi_device": 0,
            "spi_speed_hz": 16_000_000,
            "gpio_dc": 24,
            "gpio_rst": 25,
            "rotate": 0,
            "contrast": 255,
            "capture_dir": "",
            "qr": True,
        },
        base_dir=BASE,
    )
    assert display.size == (128, 128)
    keypad = KeypadConfig.from_table(
        {
            "driver": "matrix",
            "layout": "4x4",
            "row_pins": [5, 6, 13, 19],
            "col_pins": [12, 16, 20, 21],
        },
        base_dir=BASE,
    )
    assert keypad.row_pins == (5, 6, 13, 19)
    lights = IndicatorConfig.from_table(
        {
            "driver": "gpio",
            "pos_led": 17,
            "merchant_led": 27,
            "status_led": 22,
            "buzzer": 18,
            "tonal_buzzer": False,
        },
        base_dir=BASE,
    )
    assert lights.buzzer == 18
    assert PowerConfig.from_table({"driver": "none"}, base_dir=BASE).driver == "none"
    assert GpioConfig.from_table({"pin_factory": "lgpio"}, base_dir=BASE).pin_factory == "lgpio"


def test_capture_dir_is_relative_to_the_config_file() -> None:
    cfg = DisplayConfig.from_table({"driver": "capture", "capture_dir": "frames"}, base_dir=BASE)
    assert cfg.capture_dir == BASE / "frames"


@pytest.mark.parametrize(
    ("cls", "table", "setting"),
    [
        (DisplayConfig, {"driver": "ssd9999"}, "display.driver"),
        (DisplayConfig, {"drivr": "ssd1351"}, "display.drivr"),
        (DisplayConfig, {"rotate": 4}, "display.rotate"),
        (DisplayConfig, {"contrast": "max"}, "display.contrast"),
        (DisplayConfig, {"spi_speed_hz": 15_000_000}, "display.spi_speed_hz"),
        (DisplayConfig, {"i2c_address": 0x99}, "display.i2c_address"),
        (DisplayConfig, {"driver": "capture"}, "display.capture_dir"),
        (DisplayConfig, {"driver": "st7789", "interface": "i2c"}, "display.interface"),
        (DisplayConfig, {"gpio_dc": True}, "display.gpio_dc"),
        (DisplayConfig, {"gpio_rst": 40}, "display.gpio_rst"),
        (KeypadConfig, {"layout": "5x5"}, "keypad.layout"),
        (KeypadConfig, {"row_pins": [5, 6, 13]}, "keypad.row_pins"),
        (KeypadConfig, {"layout": "3x4", "col_pins": [12, 16, 20, 21]}, "keypad.col_pins"),
        (KeypadConfig, {"row_pins": [5, 6, 13, 12]}, "keypad.col_pins[0]"),
        (KeypadConfig, {"labels": ["123", "456", "789", "*0#"]}, "keypad.labels"),
        (IndicatorConfig, {"pos_led": 17, "merchant_led": 17}, "indicators.merchant_led"),
        (IndicatorConfig, {"buzzer": "18"}, "indicators.buzzer"),
        (PowerConfig, {"driver": "pisugar", "pisugar_host": "192.168.1.5"}, "power.pisugar_host"),
        (PowerConfig, {"ina219_profile": "big"}, "power.ina219_profile"),
        (PowerConfig, {"pisugar_host": "pisugar.local"}, "power.pisugar_host"),
        (PowerConfig, {"timeout_seconds": 60}, "power.timeout_seconds"),
        (PowerConfig, {"timeout_seconds": True}, "power.timeout_seconds"),
        (DisplayConfig, {"qr": 1}, "display.qr"),
        (KeypadConfig, {"labels": "123A"}, "keypad.labels"),
        (KeypadConfig, {"row_pins": [5, 6, 13, True]}, "keypad.row_pins"),
        (GpioConfig, {"pin_factory": "wiringpi"}, "gpio.pin_factory"),
    ],
)
def test_mistakes_name_the_setting(cls: Any, table: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        cls.from_table(table, base_dir=BASE)
    assert caught.value.setting == setting
    assert caught.value.problem


def test_minus_one_means_not_fitted() -> None:
    cfg = IndicatorConfig.from_table({"buzzer": -1}, base_dir=BASE)
    assert cfg.buzzer is None


def test_pisugar_may_be_named_localhost() -> None:
    # localhost is loopback, as it already was for blink.api_url and the sandbox.
    for host in ("localhost", "127.0.0.1", "::1"):
        assert PowerConfig.from_table({"pisugar_host": host}, base_dir=BASE).pisugar_host == host


def test_a_whole_number_timeout_is_read_as_seconds() -> None:
    power = PowerConfig.from_table({"timeout_seconds": 3}, base_dir=BASE)
    assert power.timeout_seconds == 3.0
    assert isinstance(power.timeout_seconds, float)


def test_a_true_for_a_pin_is_refused_with_a_right_value() -> None:
    with pytest.raises(ConfigError) as caught:
        DisplayConfig.from_table({"gpio_dc": True}, base_dir=BASE)
    assert caught.value.problem == "must be a whole number, not true/false"
    assert caught.value.fix == "write e.g. gpio_dc = 24"


def test_an_unknown_choice_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        GpioConfig.from_table({"pin_factory": "wiringpi"}, base_dir=BASE)
    assert "lgpio" in caught.value.fix
    assert "mock" in caught.value.fix
