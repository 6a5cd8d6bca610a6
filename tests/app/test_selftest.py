"""``blink-terminal selftest`` on the desktop backends: luma dummy, MockFactory pins, a modelled
keypad matrix and the simulated battery; and the failures it must name."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

import pytest
from gpiozero import GPIOPinInUse
from gpiozero.pins.mock import MockFactory
from luma.core.device import dummy
from PIL import Image

from hardware.config import (
    DisplayConfig,
    GpioConfig,
    HardwareConfig,
    IndicatorConfig,
    KeypadConfig,
    PowerConfig,
)
from terminal.cli import main
from terminal.selftest import CARD_TEXT, Outcome, SelfTest
from tests.support.gpio import Matrix, WatchedPin
from tests.support.qr import read_qr
from tests.support.timing import scaled

ROWS = (5, 6, 13, 19)
COLS = (12, 16, 20, 21)
LABELS = ("123A", "456B", "789C", "*0#D")
LEDS = (17, 27, 22)
BUZZER = 18


class RecordingDummy(dummy):  # type: ignore[misc]
    """luma's dummy device that keeps every frame it was given."""

    def __init__(self) -> None:
        super().__init__(width=128, height=128, mode="RGB")
        self.frames: list[Image.Image] = []

    def display(self, image: Image.Image) -> None:
        super().display(image)
        self.frames.append(self.image.copy())


class Console:
    """A text stream whose writes wake a waiting test thread."""

    def __init__(self) -> None:
        self.text = ""
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self.text += text
            self._changed.notify_all()
        return len(text)

    def flush(self) -> None:
        pass

    def wait_for(self, fragment: str, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: fragment in self.text, timeout)

    async def shows(self, fragment: str) -> None:
        assert await asyncio.to_thread(self.wait_for, fragment, scaled(5)), (
            f"{fragment!r} never appeared in:\n{self.text}"
        )


def hardware(**parts: object) -> HardwareConfig:
    chosen = {
        "display": DisplayConfig(driver="dummy"),
        "keypad": KeypadConfig(driver="matrix", row_pins=ROWS, col_pins=COLS, scan_ms=5),
        "indicators": IndicatorConfig(driver="gpio"),
        "power": PowerConfig(driver="simulated"),
        "gpio": GpioConfig(pin_factory="mock"),
    }
    chosen.update(parts)
    return HardwareConfig(**chosen)  # type: ignore[arg-type]


@pytest.fixture
def matrix(mock_factory: MockFactory) -> Matrix:
    return Matrix(mock_factory, ROWS, COLS, LABELS)


def selftest(
    hw: HardwareConfig, factory: MockFactory, *, interactive: bool, key_timeout: float = 30.0
) -> tuple[SelfTest, Console, RecordingDummy]:
    console, panel = Console(), RecordingDummy()
    test = SelfTest(
        hw,
        out=console,  # type: ignore[arg-type]
        interactive=interactive,
        key_timeout=key_timeout,
        step_seconds=0.01,
        display=panel,
        pin_factory=factory,
    )
    return test, console, panel


async def type_keys(matrix: Matrix, console: Console, labels: str, *, all_keys: bool) -> None:
    """Press and release each key as a person does, waiting until the test saw each."""
    await console.shows("press each key")
    for n, label in enumerate(labels, 1):
        await asyncio.to_thread(matrix.press, label)
        await console.shows(f"pressed {label} ")
        await asyncio.to_thread(matrix.release, label)
        if all_keys and n == len(labels):
            return  # the test is over: the keypad is closed, not waiting for another key
        # Released for good once the scanner holds every row low again, waiting for an edge.
        armed = await asyncio.to_thread(
            matrix.rows[-1].wait_for,
            lambda _: all(r.function == "output" for r in matrix.rows),
            scaled(5),
        )
        assert armed


def by_part(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {o.part: o for o in outcomes}


def high_spans(pin: WatchedPin) -> list[tuple[float, float]]:
    """(went high, went low again) times of an output pin."""
    spans, start = [], None
    for change in pin.states:
        if change.state and start is None:
            start = change.timestamp
        elif not change.state and start is not None:
            spans.append((start, change.timestamp))
            start = None
    return spans


async def test_every_part_passes_and_is_really_exercised(
    mock_factory: MockFactory, matrix: Matrix
) -> None:
    test, console, panel = selftest(hardware(), mock_factory, interactive=True)
    run = asyncio.create_task(test.run())
    await type_keys(matrix, console, "".join(LABELS), all_keys=True)
    outcomes = await asyncio.wait_for(run, scaled(10))

    parts = by_part(outcomes)
    assert all(o.ok for o in outcomes), console.text
    assert set(parts) == {
        "gpio", "display", "LED pos", "LED merchant", "LED status", "buzzer", "keypad", "battery"
    }  # fmt: skip
    # The test card on the panel carries a QR that a camera reads, laid out like an invoice's.
    assert read_qr(panel.frames[0]) == CARD_TEXT
    # Each LED went high alone, in turn: pos, then merchant, then status.
    spans = [high_spans(mock_factory.pin(p)) for p in LEDS]
    assert all(len(s) == 1 for s in spans), spans
    assert spans[0][0][1] <= spans[1][0][0]
    assert spans[1][0][1] <= spans[2][0][0]
    # The active buzzer's line toggled through the tune (four notes) and ended off.
    buzzer = mock_factory.pin(BUZZER)
    assert len(high_spans(buzzer)) == 4
    assert not buzzer.state
    # Every key was seen and shown, on the console and on the panel.
    assert "all 16 keys arrived" in parts["keypad"].detail
    assert panel.frames[-2].tobytes() != panel.frames[1].tobytes()  # the key grid filled in
    assert "%" in parts["battery"].detail
    assert read_qr(panel.frames[-1]) == CARD_TEXT  # the closing card keeps the QR on the glass


async def test_non_interactive_skips_the_presses(mock_factory: MockFactory, matrix: Matrix) -> None:
    test, console, _ = selftest(hardware(), mock_factory, interactive=False)
    outcomes = await asyncio.wait_for(test.run(), scaled(10))
    assert all(o.ok for o in outcomes), console.text
    assert "press test skipped" in by_part(outcomes)["keypad"].detail
    assert "press each key" not in console.text


async def test_a_stuck_key_names_its_row_and_column(
    mock_factory: MockFactory, matrix: Matrix
) -> None:
    matrix.press("6")
    test, _, _ = selftest(hardware(), mock_factory, interactive=False)
    keypad = by_part(await asyncio.wait_for(test.run(), scaled(10)))["keypad"]
    assert not keypad.ok
    assert "GPIO6 (header pin 31)" in keypad.detail  # row 2
    assert "GPIO20 (header pin 38)" in keypad.detail  # column 3


async def test_a_dead_column_is_named_with_its_wire(
    mock_factory: MockFactory, matrix: Matrix
) -> None:
    test, console, _ = selftest(hardware(), mock_factory, interactive=True, key_timeout=scaled(1))
    run = asyncio.create_task(test.run())
    # Column 3 (3 6 9 #) is broken: those keys never close a circuit.
    await type_keys(matrix, console, "12A45B78C*0D", all_keys=False)
    keypad = by_part(await asyncio.wait_for(run, scaled(10)))["keypad"]
    assert not keypad.ok
    assert "no press from 3 6 9 #" in keypad.detail
    assert "column 3: keypad pin 7 to GPIO20 (header pin 38)" in keypad.detail


class BusyPins(MockFactory):  # type: ignore[misc]
    """A pin factory whose every line is held by another process (the running service)."""

    def pin(self, spec: object, **kwargs: object) -> object:
        raise GPIOPinInUse(f"GPIO{spec} is busy")


async def test_pins_that_cannot_be_claimed_fail_their_parts() -> None:
    factory = BusyPins(revision="902120")
    try:
        test, _, panel = selftest(hardware(), factory, interactive=False)
        outcomes = by_part(await asyncio.wait_for(test.run(), scaled(10)))
    finally:
        factory.close()
    assert not outcomes["keypad"].ok
    assert "busy" in outcomes["keypad"].detail
    assert "keypad.row_pins" in outcomes["keypad"].detail
    assert not outcomes["indicators"].ok
    assert "busy" in outcomes["indicators"].detail
    assert "systemctl stop blink-terminal" in outcomes["indicators"].detail
    # The parts that need no GPIO still pass, and the panel still shows the card.
    assert outcomes["display"].ok
    assert outcomes["battery"].ok
    assert read_qr(panel.frames[0]) == CARD_TEXT


def write_config(folder: Path, display: str, extra: str = "") -> Path:
    path = folder / "terminal.toml"
    path.write_text(
        f'[display]\ndriver = "{display}"\n[keypad]\ndriver = "none"\n'
        f'[power]\ndriver = "simulated"\n[gpio]\npin_factory = "mock"\n{extra}',
        encoding="utf-8",
    )
    return path


def test_cli_exit_0_when_every_part_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No [blinkpos] key anywhere: the self-test reads only the hardware sections.
    code = main(["selftest", "--config", str(write_config(tmp_path, "dummy")), "--non-interactive"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "self-test: all parts ok" in out


def test_cli_exit_5_naming_a_panel_that_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An SPI panel on a machine with no SPI bus (or no spidev / RPi.GPIO): it cannot open.
    config = write_config(tmp_path, "ssd1351")
    code = main(["selftest", "--config", str(config), "--non-interactive"])
    out = capsys.readouterr().out
    assert code == 5, out
    display = next(line for line in out.splitlines() if line.startswith("display"))
    assert "FAILED" in display
    assert "SPI" in display
    assert "self-test: 1 failed: display" in out


def test_cli_exit_2_for_a_bad_hardware_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "dummy", "[indicators]\nbuzzer = 99\n")
    assert main(["selftest", "--config", str(config)]) == 2
    assert "indicators.buzzer" in capsys.readouterr().err


async def test_the_desktop_keyboard_is_asked_for_its_keys_by_their_names() -> None:
    console, panel = Console(), RecordingDummy()
    hw = hardware(keypad=KeypadConfig(driver="stdin"), indicators=IndicatorConfig(driver="none"))
    typed = io.StringIO("1234567890\x1b\r\x7frm")
    test = SelfTest(hw, out=console, interactive=True, display=panel, stdin=typed)  # type: ignore[arg-type]
    keypad = by_part(await asyncio.wait_for(test.run(), scaled(10)))["keypad"]
    assert keypad.ok, console.text
    assert "all 15 keys arrived" in keypad.detail
    assert "pressed Enter" in console.text
    assert "pressed Backspace" in console.text


async def test_input_that_ends_early_names_the_keys_never_typed() -> None:
    console = Console()
    hw = hardware(keypad=KeypadConfig(driver="stdin"), indicators=IndicatorConfig(driver="none"))
    test = SelfTest(
        hw,
        out=console,
        interactive=True,
        key_timeout=scaled(1),
        display=RecordingDummy(),  # type: ignore[arg-type]
        stdin=io.StringIO("123"),
    )
    keypad = by_part(await asyncio.wait_for(test.run(), scaled(10)))["keypad"]
    assert not keypad.ok
    assert keypad.detail.startswith("no press from 4 5 6 7 8 9 Esc 0 Enter Backspace r m")
