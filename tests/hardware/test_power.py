"""Battery gauges with fakes at the boundary: a loopback pisugar-server and a fake SMBus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from hardware.config import PowerConfig
from hardware.power import INA219Battery, NoBattery, PiSugarBattery, SimulatedBattery, open_battery
from terminal.screens.model import Battery
from tests.support.timing import scaled

Answer = Callable[[str], str | None]


async def pisugar(answer: Answer) -> tuple[asyncio.Server, int]:
    """A pisugar-server stand-in on 127.0.0.1 that answers each line with ``answer(line)``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                reply = answer(line.decode().strip())
                if reply is None:
                    await asyncio.Event().wait()  # a server that hangs
                writer.write(f"{reply}\n".encode())
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def healthy() -> AsyncIterator[int]:
    replies = {
        "get battery": "battery: 87.6",
        "get battery_power_plugged": "battery_power_plugged: true",
    }
    server, port = await pisugar(lambda line: replies.get(line, "invalid request"))
    async with server:
        yield port


async def test_pisugar_reads_percent_and_charging(healthy: int) -> None:
    source = PiSugarBattery("127.0.0.1", healthy, timeout=scaled(2))
    assert await source.read() == Battery(88, charging=True)


async def test_pisugar_garbage_hides_the_battery() -> None:
    server, port = await pisugar(lambda line: "error: unknown")
    async with server:
        assert await PiSugarBattery("127.0.0.1", port, timeout=scaled(2)).read() is None


async def test_pisugar_silence_times_out() -> None:
    server, port = await pisugar(lambda line: None)
    async with server:
        assert await PiSugarBattery("127.0.0.1", port, timeout=0.05).read() is None


async def test_pisugar_not_running() -> None:
    server, port = await pisugar(lambda line: "")
    server.close()
    await server.wait_closed()
    assert await PiSugarBattery("127.0.0.1", port, timeout=scaled(2)).read() is None


class FakeSMBus:
    """An INA219 as smbus2 sees it: little-endian words of big-endian registers."""

    def __init__(self, volts: float, shunt_raw: int) -> None:
        self.volts = volts
        self.shunt_raw = shunt_raw
        self.fail = False

    def read_word_data(self, address: int, register: int) -> int:
        if self.fail:
            raise OSError(121, "Remote I/O error")
        assert address == 0x42
        value = {0x02: int(self.volts / 0.004) << 3, 0x01: self.shunt_raw & 0xFFFF}[register]
        return ((value & 0xFF) << 8) | (value >> 8)


async def test_ina219_full_and_empty() -> None:
    bus = FakeSMBus(8.4, shunt_raw=100)
    assert await INA219Battery(bus).read() == Battery(100, charging=True)
    bus = FakeSMBus(6.0, shunt_raw=-100)
    assert await INA219Battery(bus).read() == Battery(0, charging=False)


async def test_ina219_midpoint_and_smoothing() -> None:
    bus = FakeSMBus(7.2, shunt_raw=-5)
    gauge = INA219Battery(bus)
    assert await gauge.read() == Battery(50, charging=False)
    bus.volts = 8.4  # a jump (the charger was plugged in) is followed, but not at once
    level = await gauge.read()
    assert level is not None
    assert 50 < level.percent < 100


async def test_ina219_one_cell_profile() -> None:
    bus = FakeSMBus(3.6, shunt_raw=0)
    assert await INA219Battery(bus, profile="ups-hat-c").read() == Battery(50, charging=False)


async def test_ina219_bus_error_hides_the_battery() -> None:
    bus = FakeSMBus(7.2, shunt_raw=0)
    bus.fail = True
    assert await INA219Battery(bus).read() is None


async def test_simulated_battery_falls_then_charges() -> None:
    now = [0.0]
    source = SimulatedBattery(start=80, seconds_per_percent=1.0, clock=lambda: now[0])
    assert await source.read() == Battery(80, charging=False)
    now[0] = 69.0
    assert await source.read() == Battery(11, charging=False)
    now[0] = 71.0
    assert await source.read() == Battery(11, charging=True)


async def test_open_battery() -> None:
    assert isinstance(open_battery(PowerConfig(driver="none")), NoBattery)
    assert await open_battery(PowerConfig(driver="none")).read() is None
    bus = FakeSMBus(8.4, shunt_raw=1)
    gauge = open_battery(PowerConfig(driver="ina219"), bus=bus)
    assert await gauge.read() == Battery(100, charging=True)
