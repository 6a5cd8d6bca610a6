"""Battery gauges behind one ``BatterySource`` protocol: none, simulated, PiSugar, INA219.

Readings are :class:`terminal.screens.model.Battery` (whole percent, charging flag) or None when
there is no battery or it cannot be read right now; a gauge that fails is logged once, not on
every poll, and the status bar simply drops the battery slot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from hardware.power_config import PowerConfig
from terminal.errors import HardwareError
from terminal.screens.model import Battery

log = logging.getLogger(__name__)


class BatterySource(Protocol):
    """Where the battery level comes from."""

    async def read(self) -> Battery | None: ...


class NoBattery:
    """Mains power: no battery to show."""

    async def read(self) -> Battery | None:
        """Always None."""
        return None


class SimulatedBattery:
    """A desktop battery that drains one percent every ``seconds_per_percent``, then recharges.

    With ``level_file`` the level is whatever that file says instead (``42``, or ``42 charging``;
    anything else reads as a gauge that does not answer): the end-to-end tests drain the
    battery step by step through it.
    """

    def __init__(
        self,
        *,
        start: int = 80,
        seconds_per_percent: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        level_file: Path | None = None,
    ) -> None:
        self._start = start
        self._rate = seconds_per_percent
        self._clock = clock
        self._t0 = clock()
        self._level_file = level_file

    async def read(self) -> Battery | None:
        """The simulated level: falls to 10 %, charges back to 100 %, and so on."""
        if self._level_file is not None:
            return _level_from(self._level_file)
        steps = int((self._clock() - self._t0) / self._rate)
        # A triangle wave between 10 and 100, entered at ``start`` on its falling side.
        phase = (steps + (100 - self._start)) % 180
        if phase < 90:
            return Battery(100 - phase, charging=False)
        return Battery(10 + (phase - 90), charging=True)


def _level_from(path: Path) -> Battery | None:
    try:
        words = path.read_text(encoding="utf-8").split()
        percent = int(words[0])
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return None
    return Battery(max(0, min(100, percent)), charging=words[1:2] == ["charging"])


class _LogOnce:
    """Say "unreadable" once and "readable again" once, not on every poll."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._failing = False

    def failed(self, exc: BaseException) -> None:
        if not self._failing:
            log.warning("cannot read the %s (%s); the battery level is hidden", self._what, exc)
        self._failing = True

    def ok(self) -> None:
        if self._failing:
            log.info("the %s answers again", self._what)
        self._failing = False


class PiSugarBattery:
    """pisugar-server's line protocol on TCP (``get battery`` -> ``battery: 87.3``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8423, *, timeout: float = 2.0) -> None:
        self._host, self._port, self._timeout = host, port, timeout
        self._log = _LogOnce("PiSugar battery server")

    async def read(self) -> Battery | None:
        """Percent and "power plugged", or None when the server does not answer sensibly."""
        try:
            async with asyncio.timeout(self._timeout):
                reader, writer = await asyncio.open_connection(self._host, self._port)
                try:
                    percent = float(await self._ask(reader, writer, "battery"))
                    plugged = (await self._ask(reader, writer, "battery_power_plugged")).lower()
                finally:
                    writer.close()
        except (OSError, TimeoutError, ValueError, HardwareError) as exc:
            self._log.failed(exc)
            return None
        self._log.ok()
        return Battery(round(max(0.0, min(100.0, percent))), charging=plugged == "true")

    async def _ask(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str
    ) -> str:
        writer.write(f"get {name}\n".encode())
        await writer.drain()
        line = (await reader.readline()).decode("ascii", "replace").strip()
        key, sep, value = line.partition(":")
        if not sep or key.strip() != name:
            raise HardwareError(f"pisugar-server answered {line[:40]!r} to get {name}")
        return value.strip()


# INA219 registers; the chip is big-endian, SMBus words are little-endian.
_SHUNT_VOLTAGE = 0x01
_BUS_VOLTAGE = 0x02
# (empty volts, full volts) from Waveshare's UPS HAT demos: 2 cells in series, or 1 cell.
INA219_CURVES = {"ups-hat": (6.0, 8.4), "ups-hat-c": (3.0, 4.2)}
_SMOOTHING = 0.3  # EMA weight of a new reading: the voltage curve jitters under load


def _swap(word: int) -> int:
    return ((word & 0xFF) << 8) | (word >> 8)


class INA219Battery:
    """An INA219 on I2C (Waveshare UPS HATs): percent from volts, charging from current sign.

    ``bus`` is an smbus2-like object (``read_word_data(addr, reg)``). It may share the wires
    with an I2C display without a lock here: each register read is one SMBus transaction
    (register pointer write, then read), and the kernel's I2C adapter runs one at a time.
    """

    def __init__(self, bus: Any, address: int = 0x42, *, profile: str = "ups-hat") -> None:
        self._bus, self._address = bus, address
        self._empty, self._full = INA219_CURVES[profile]
        self._smoothed: float | None = None
        self._log = _LogOnce("INA219 battery gauge")

    def _sample(self) -> tuple[float, bool]:
        bus_raw = _swap(self._bus.read_word_data(self._address, _BUS_VOLTAGE))
        shunt_raw = _swap(self._bus.read_word_data(self._address, _SHUNT_VOLTAGE))
        volts = (bus_raw >> 3) * 0.004  # 4 mV per bit above bit 3
        shunt = shunt_raw - 0x10000 if shunt_raw & 0x8000 else shunt_raw
        return volts, shunt > 0  # current into the battery: charging

    async def read(self) -> Battery | None:
        """A smoothed percentage in 5 % steps, or None if the gauge does not answer."""
        try:
            volts, charging = await asyncio.to_thread(self._sample)
        except OSError as exc:
            self._log.failed(exc)
            return None
        self._log.ok()
        percent = (volts - self._empty) / (self._full - self._empty) * 100
        percent = max(0.0, min(100.0, percent))
        if self._smoothed is None:
            self._smoothed = percent
        else:
            self._smoothed += _SMOOTHING * (percent - self._smoothed)
        # Coarse steps: the voltage curve is not linear, so finer digits would be fiction.
        return Battery(int(round(self._smoothed / 5) * 5), charging=charging)


def open_battery(cfg: PowerConfig, *, bus: Any = None) -> BatterySource:
    """The battery source ``cfg`` names; ``bus`` replaces the INA219's SMBus (tests)."""
    if cfg.driver == "none":
        return NoBattery()
    if cfg.driver == "simulated":
        return SimulatedBattery(level_file=cfg.simulated_level_file)
    if cfg.driver == "pisugar":
        return PiSugarBattery(cfg.pisugar_host, cfg.pisugar_port, timeout=cfg.timeout_seconds)
    if bus is None:
        try:
            from smbus2 import SMBus

            bus = SMBus(cfg.i2c_port)
        except ImportError as exc:
            raise HardwareError('power.driver = "ina219" needs smbus2: pip install smbus2') from exc
        except OSError as exc:
            raise HardwareError(
                f"cannot open /dev/i2c-{cfg.i2c_port} ({exc.strerror}): enable I2C with "
                "raspi-config and add the user to the i2c group"
            ) from exc
    return INA219Battery(bus, cfg.ina219_address, profile=cfg.ina219_profile)
