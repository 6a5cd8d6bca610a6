"""Power-off backends, the shutdown button's long press, dark LEDs and the panel's modes."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from luma.core.device import dummy
from PIL import Image

from hardware.config import IndicatorConfig
from hardware.display_worker import DisplayWorker, PanelMode
from hardware.indicators import GpioIndicators
from hardware.power import SimulatedBattery
from hardware.power_config import PowerConfig
from hardware.poweroff import (
    LOGIND_POWEROFF,
    LogindPowerOff,
    NoPowerOff,
    RecordedPowerOff,
    open_poweroff,
)
from hardware.shutdown_button import ShutdownButton
from terminal.errors import HardwareError
from terminal.links import LinkState
from terminal.screens.model import Battery
from tests.support.timing import scaled

# --- power-off backends ----------------------------------------------------------------------


def test_logind_asks_power_off_of_login1_without_interaction() -> None:
    assert LOGIND_POWEROFF[0] == "busctl"
    assert LOGIND_POWEROFF[2:6] == (
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "PowerOff",
    )
    assert LOGIND_POWEROFF[6:] == ("b", "false")  # no polkit prompt: the rule decides


async def test_logind_backend_passes_when_the_call_succeeds(tmp_path: Path) -> None:
    # A real process stands in for busctl: it records its arguments, as the bus would see them.
    seen = tmp_path / "argv"
    script = f"import sys; open({str(seen)!r}, 'w').write(' '.join(sys.argv[1:]))"
    await LogindPowerOff((sys.executable, "-c", script, *LOGIND_POWEROFF[1:])).request()
    assert seen.read_text() == " ".join(LOGIND_POWEROFF[1:])


async def test_logind_refusal_names_the_polkit_rule() -> None:
    refuse = "import sys; sys.stderr.write('Access denied'); sys.exit(1)"
    with pytest.raises(HardwareError, match=r"Access denied.*polkit rule"):
        await LogindPowerOff((sys.executable, "-c", refuse)).request()


async def test_logind_without_busctl_says_so() -> None:
    with pytest.raises(HardwareError, match="missing"):
        await LogindPowerOff(("/nonexistent/busctl",)).request()


async def test_recorded_power_off_appends_a_line(tmp_path: Path) -> None:
    record = tmp_path / "poweroff.log"
    backend = RecordedPowerOff(record)
    await backend.request()
    await backend.request()
    lines = record.read_text().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("poweroff requested at ") for line in lines)


def test_open_poweroff_follows_the_config(tmp_path: Path) -> None:
    assert isinstance(open_poweroff(PowerConfig()), LogindPowerOff)
    assert isinstance(open_poweroff(PowerConfig(poweroff="none")), NoPowerOff)
    recorded = PowerConfig(poweroff="record", poweroff_record_file=tmp_path / "p")
    assert isinstance(open_poweroff(recorded), RecordedPowerOff)


# --- the simulated battery's level file ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("42\n", Battery(42)),
        ("7 charging", Battery(7, charging=True)),
        ("140", Battery(100)),
        ("", None),
        ("empty", None),
    ],
)
async def test_simulated_level_file(tmp_path: Path, text: str, reading: Battery | None) -> None:
    level = tmp_path / "level"
    level.write_text(text)
    assert await SimulatedBattery(level_file=level).read() == reading


async def test_a_missing_level_file_reads_as_a_silent_gauge(tmp_path: Path) -> None:
    assert await SimulatedBattery(level_file=tmp_path / "none").read() is None


# --- the shutdown button ---------------------------------------------------------------------


async def test_a_long_press_asks_once(mock_factory: MockFactory) -> None:
    held = asyncio.Event()
    calls: list[int] = []

    def on_held() -> None:
        calls.append(1)
        held.set()

    button = ShutdownButton(26, 0.05, on_held, asyncio.get_running_loop())
    pin = mock_factory.pin(26)
    try:
        # Pressed: the line goes to ground (pull-up). Driven from a thread, as the wires are.
        await asyncio.to_thread(pin.drive_low)
        async with asyncio.timeout(scaled(5)):
            await held.wait()
        await asyncio.to_thread(pin.drive_high)
        assert calls == [1]
    finally:
        button.close()


async def test_a_short_press_does_nothing(mock_factory: MockFactory) -> None:
    calls: list[int] = []
    released = threading.Event()
    button = ShutdownButton(26, 30.0, lambda: calls.append(1), asyncio.get_running_loop())
    button._button.when_released = released.set
    pin = mock_factory.pin(26)
    try:
        await asyncio.to_thread(pin.drive_low)
        await asyncio.to_thread(pin.drive_high)
        assert await asyncio.to_thread(released.wait, scaled(5))
        await asyncio.sleep(0)  # let any callback already queued on the loop run
        assert calls == []
    finally:
        button.close()


async def test_a_claimed_pin_is_a_hardware_error(mock_factory: MockFactory) -> None:
    del mock_factory
    loop = asyncio.get_running_loop()
    first = ShutdownButton(26, 1.0, lambda: None, loop)
    try:
        with pytest.raises(HardwareError, match=r"power\.shutdown_button"):
            ShutdownButton(26, 1.0, lambda: None, loop)
    finally:
        first.close()


# --- dark LEDs ----------------------------------------------------------------------------------


async def test_dark_puts_the_link_leds_out_and_back(mock_factory: MockFactory) -> None:
    cfg = IndicatorConfig(driver="gpio", pos_led=17, merchant_led=27, status_led=22, buzzer=18)
    leds = GpioIndicators(cfg, pin_factory=mock_factory)
    pos = mock_factory.pin(17)
    try:
        leds.show_links(LinkState.UP, LinkState.OFF)
        assert pos.state
        leds.set_dark(True)
        assert not pos.state
        leds.show_links(LinkState.UP, LinkState.UP)  # news while dark: remembered, not lit
        assert not pos.state
        assert not mock_factory.pin(27).state
        leds.set_dark(False)
        assert pos.state
        assert mock_factory.pin(27).state
    finally:
        leds.close()


# --- the panel's modes ----------------------------------------------------------------------


class RecordingPanel(dummy):  # type: ignore[misc]  # luma ships no type information
    """luma's dummy device, noting the power commands the worker sends it."""

    def __init__(self) -> None:
        super().__init__(width=128, height=64, mode="1")
        self.calls: list[tuple[str, int | None]] = []

    def show(self) -> None:
        self.calls.append(("show", None))

    def hide(self) -> None:
        self.calls.append(("hide", None))

    def contrast(self, level: int) -> None:
        self.calls.append(("contrast", level))


def test_the_worker_dims_sleeps_and_wakes_the_panel() -> None:
    panel = RecordingPanel()
    worker: DisplayWorker[str] = DisplayWorker(
        panel, lambda _: Image.new("1", (128, 64)), contrast=(200, 16)
    )
    try:
        for mode in (PanelMode.DIM, PanelMode.OFF, PanelMode.ON, PanelMode.ON):
            worker.set_panel(mode)
            assert worker.wait_idle(scaled(5))
            assert worker.panel is mode
        assert panel.calls == [("contrast", 16), ("hide", None), ("show", None), ("contrast", 200)]
    finally:
        worker.close()


def test_a_panel_without_contrast_only_sleeps() -> None:
    panel = RecordingPanel()
    worker: DisplayWorker[str] = DisplayWorker(panel, lambda _: Image.new("1", (128, 64)))
    try:
        worker.set_panel(PanelMode.DIM)
        worker.set_panel(PanelMode.OFF)
        assert worker.wait_idle(scaled(5))
        worker.set_panel(PanelMode.ON)
        assert worker.wait_idle(scaled(5))
        assert ("hide", None) in panel.calls
        assert panel.calls[-1] == ("show", None)
        assert all(name != "contrast" for name, _ in panel.calls)
    finally:
        worker.close()
