"""The [power] section: the battery gauge, the thresholds that act on it, shutdown and idle times.

Frozen and validated once at start-up, like every hardware section (``hardware.config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from hardware.pin_table import PinTable
from terminal.config_table import is_loopback
from terminal.errors import ConfigError

INA219_PROFILES = ("ups-hat", "ups-hat-c")
DRIVERS = ("none", "pisugar", "ina219", "simulated")
# logind: org.freedesktop.login1.Manager.PowerOff, allowed to the service user by a polkit
# rule; record: append a line to a file (the desktop's stand-in); none: log only.
POWEROFF_BACKENDS = ("logind", "record", "none")


@dataclass(frozen=True)
class PowerConfig:
    """Where the battery reading comes from, and what the terminal does about it."""

    driver: str = "none"
    pisugar_host: str = "127.0.0.1"
    pisugar_port: int = 8423
    i2c_port: int = 1
    ina219_address: int = 0x42
    ina219_profile: str = "ups-hat"
    poll_seconds: float = 20.0
    timeout_seconds: float = 2.0
    simulated_level_file: Path | None = None  # simulated only: "42" or "42 charging" per read
    low_percent: int = 20
    critical_percent: int = 7
    hysteresis_percent: int = 3
    shutdown_grace_seconds: float = 120.0
    poweroff: str = "logind"
    poweroff_record_file: Path | None = None
    shutdown_button: int | None = None
    shutdown_hold_seconds: float = 3.0
    idle_dim_seconds: float = 60.0
    idle_sleep_seconds: float = 300.0
    dim_contrast: int = 16

    @classmethod
    def from_table(cls, table: Mapping[str, object], *, base_dir: Path) -> Self:
        """The [power] section, validated."""
        t = PinTable("power", table)
        level_file = t.get("simulated_level_file", str, "")
        record_file = t.get("poweroff_record_file", str, "")
        driver = t.choice("driver", cls.driver, DRIVERS)
        # A desktop's simulated battery never powers anything off unless told to record it.
        poweroff_default = "none" if driver == "simulated" else cls.poweroff
        made = cls(
            driver=driver,
            pisugar_host=t.get("pisugar_host", str, cls.pisugar_host),
            pisugar_port=t.number("pisugar_port", cls.pisugar_port, 1, 65535),
            i2c_port=t.number("i2c_port", cls.i2c_port, 0, 31),
            ina219_address=t.number("ina219_address", cls.ina219_address, 0x40, 0x4F),
            ina219_profile=t.choice("ina219_profile", cls.ina219_profile, INA219_PROFILES),
            poll_seconds=t.number("poll_seconds", cls.poll_seconds, 0.1, 600.0),
            timeout_seconds=t.number("timeout_seconds", cls.timeout_seconds, 0.1, 30.0),
            simulated_level_file=(base_dir / level_file) if level_file else None,
            low_percent=t.number("low_percent", cls.low_percent, 1, 90),
            critical_percent=t.number("critical_percent", cls.critical_percent, 0, 50),
            hysteresis_percent=t.number("hysteresis_percent", cls.hysteresis_percent, 0, 20),
            shutdown_grace_seconds=t.number(
                "shutdown_grace_seconds", cls.shutdown_grace_seconds, 1.0, 1800.0
            ),
            poweroff=t.choice("poweroff", poweroff_default, POWEROFF_BACKENDS),
            poweroff_record_file=(base_dir / record_file) if record_file else None,
            shutdown_button=t.pin("shutdown_button", None),
            shutdown_hold_seconds=t.number(
                "shutdown_hold_seconds", cls.shutdown_hold_seconds, 0.5, 30.0
            ),
            idle_dim_seconds=t.number("idle_dim_seconds", cls.idle_dim_seconds, 0.0, 86400.0),
            idle_sleep_seconds=t.number("idle_sleep_seconds", cls.idle_sleep_seconds, 0.0, 86400.0),
            dim_contrast=t.number("dim_contrast", cls.dim_contrast, 0, 255),
        )
        t.finish()
        made.check()
        return made

    def check(self) -> None:
        """Refuse combinations no single setting can judge (ConfigError naming the fix)."""
        if not is_loopback(self.pisugar_host):
            # pisugar-server has no authentication and accepts set_* commands.
            raise ConfigError(
                "power.pisugar_host",
                "must be a loopback address",
                'use "127.0.0.1" and bind pisugar-server to it',
            )
        if self.critical_percent >= self.low_percent:
            raise ConfigError(
                "power.critical_percent",
                f"must be below power.low_percent ({self.low_percent})",
                "e.g. low_percent = 20, critical_percent = 7",
            )
        if self.poweroff == "record" and self.poweroff_record_file is None:
            raise ConfigError(
                "power.poweroff_record_file",
                'is needed with poweroff = "record"',
                'name the file the request is written to, e.g. "poweroff.log"',
            )
        if self.driver == "simulated" and self.poweroff == "logind":
            # A drained desktop battery must never switch the developer's own machine off.
            raise ConfigError(
                "power.poweroff",
                'must not be "logind" with a simulated battery',
                'use poweroff = "record" (or "none") on a desktop',
            )
        if self.simulated_level_file is not None and self.driver != "simulated":
            raise ConfigError(
                "power.simulated_level_file",
                'only works with driver = "simulated"',
                "remove it, or use the simulated battery",
            )
        if 0 < self.idle_sleep_seconds < self.idle_dim_seconds:
            raise ConfigError(
                "power.idle_sleep_seconds",
                f"must not come before power.idle_dim_seconds ({self.idle_dim_seconds:g})",
                "sleep after the panel has dimmed, or set idle_dim_seconds = 0",
            )
