"""The Python modules ``run`` will import for a configuration, imported now, so that ``check``
fails (exit 5) where ``run`` would, instead of passing a unit that cannot start its panel."""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass

from hardware.config import PANELS, PANELS_240X240
from terminal.config import Config

PI_EXTRA = "install blink-terminal[pi] (the Ansible role does; see deploy/ansible/README.md)"


@dataclass(frozen=True)
class Need:
    """One module the configuration needs, the setting that needs it, and how to get it."""

    setting: str
    module: str
    why: str
    fix: str


def needs(config: Config) -> list[Need]:
    """Every module ``run`` imports for ``config`` beyond the always-installed ones."""
    found: list[Need] = []
    display = config.display
    if display.driver in PANELS:
        luma = "luma.lcd.device" if display.driver in PANELS_240X240 else "luma.oled.device"
        found.append(Need("display.driver", luma, f"the {display.driver} driver", PI_EXTRA))
        if display.interface == "spi":
            # luma's spi() opens /dev/spidev* with spidev and drives D/C and reset through
            # the RPi.GPIO API (rpi-lgpio): luma.core's own "spi" and "gpio" extras.
            found.append(Need("display.interface", "spidev", "the SPI bus", PI_EXTRA))
            found.append(
                Need("display.interface", "RPi.GPIO", "the panel's D/C and reset lines", PI_EXTRA)
            )
        else:
            found.append(Need("display.interface", "smbus2", "the I2C bus", PI_EXTRA))
    uses_gpio = (
        config.keypad.driver == "matrix"
        or config.indicators.driver == "gpio"
        or (display.driver in PANELS_240X240 and display.gpio_backlight is not None)
    )
    factory_module = {"lgpio": "lgpio", "rpigpio": "RPi.GPIO", "pigpio": "pigpio"}
    if uses_gpio and config.gpio.pin_factory in factory_module:
        found.append(
            Need(
                "gpio.pin_factory",
                factory_module[config.gpio.pin_factory],
                f"gpiozero's {config.gpio.pin_factory} pin factory",
                PI_EXTRA,
            )
        )
    if config.power.driver == "ina219":
        found.append(Need("power.driver", "smbus2", "the INA219 on I2C", PI_EXTRA))
    return found


def import_problems(config: Config) -> list[str]:
    """One message per module ``config`` needs that cannot be imported (empty: all import)."""
    problems: list[str] = []
    saved = os.environ.get("LG_WD")
    # lgpio (also under rpi-lgpio) makes its notification pipes in $LG_WD or the working
    # directory at import: keep them out of the operator's folder.
    with tempfile.TemporaryDirectory(prefix="blink-check-") as scratch:
        os.environ["LG_WD"] = scratch
        try:
            for need in needs(config):
                problem = _import(need)
                if problem:
                    problems.append(problem)
        finally:
            if saved is None:
                os.environ.pop("LG_WD", None)
            else:
                os.environ["LG_WD"] = saved
    return problems


def _import(need: Need) -> str | None:
    try:
        importlib.import_module(need.module)
    except ImportError as exc:
        return (
            f"{need.setting}: {need.why} needs {need.module}, which is missing ({exc}): {need.fix}"
        )
    except Exception as exc:  # a module that imports but cannot start: RPi.GPIO off a Pi
        return f"{need.setting}: {need.why}: {need.module} cannot start here ({exc})"
    return None
