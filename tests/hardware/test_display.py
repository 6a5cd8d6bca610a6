"""Opening displays, the terminal renderer, real luma drivers, and the one display worker."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from luma.core.device import dummy
from PIL import Image, ImageDraw

from hardware.config import DisplayConfig
from hardware.display import geometry_of, needs_pin_factory, open_display
from hardware.display_worker import DisplayWorker
from hardware.recording import RecordingSerial
from hardware.tty_display import TerminalDisplay, half_blocks
from terminal.errors import HardwareError
from terminal.screens.geometry import Geometry
from tests.support.timing import scaled


class CountingDummy(dummy):  # type: ignore[misc]  # luma ships no type information
    """luma's dummy device, counting writes and optionally holding each one until released."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.writes = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def display(self, image: Image.Image) -> None:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(scaled(5))
        super().display(image)
        self.writes += 1


def picture(n: int) -> Image.Image:
    image = Image.new("RGB", (128, 128))
    ImageDraw.Draw(image).text((4, 4), str(n), fill="white")
    return image


def test_worker_writes_only_changed_frames() -> None:
    device = CountingDummy(width=128, height=128, mode="RGB")
    renders: list[int] = []

    def render(view: int) -> Image.Image:
        renders.append(view)
        return picture(view // 10)  # views 10 and 11 draw the same picture

    worker = DisplayWorker(device, render)
    try:
        for view in (10, 10, 10):
            worker.show(view)
            assert worker.wait_idle(scaled(2))
        assert renders == [10], "an equal view is not even rendered"
        worker.show(11)
        assert worker.wait_idle(scaled(2))
        assert renders == [10, 11]
        assert device.writes == 1, "an identical frame never reaches the bus"
        worker.show(20)
        assert worker.wait_idle(scaled(2))
        assert device.writes == 2
        assert device.image.tobytes() == picture(2).tobytes()
    finally:
        worker.close()


def test_show_never_waits_for_a_slow_panel_and_keeps_only_the_newest() -> None:
    device = CountingDummy(width=128, height=128, mode="RGB")
    device.gate = threading.Event()
    worker = DisplayWorker(device, picture)
    try:
        worker.show(1)
        assert device.entered.wait(scaled(2))  # the worker is now stuck inside display()
        for n in (2, 3, 4):
            worker.show(n)  # returns although the panel is busy
        device.gate.set()
        assert worker.wait_idle(scaled(2))
        assert device.writes == 2, "views 2 and 3 were superseded before they were drawn"
        assert device.image.tobytes() == picture(4).tobytes()
    finally:
        device.gate.set()
        worker.close()


def test_a_dead_panel_is_reported_on_the_next_show() -> None:
    class Broken(CountingDummy):
        def display(self, image: Image.Image) -> None:
            raise OSError(121, "Remote I/O error")

    worker = DisplayWorker(Broken(width=128, height=128, mode="RGB"), picture)
    try:
        worker.show(1)
        assert worker.wait_idle(scaled(2))
        with pytest.raises(HardwareError, match="wiring"):
            worker.show(2)
    finally:
        worker.close()


def test_half_blocks_pair_rows() -> None:
    image = Image.new("L", (2, 4), 0)
    image.putpixel((0, 0), 255)  # top of the first cell
    image.putpixel((1, 1), 255)  # bottom of the second cell
    image.putpixel((0, 2), 255)
    image.putpixel((0, 3), 255)
    assert half_blocks(image) == ["▀▄", "█ "]


def test_terminal_display_draws_lit_pixels_light() -> None:
    out = io.StringIO()
    display = open_display(DisplayConfig(driver="terminal"), stream=out)
    assert isinstance(display, TerminalDisplay)
    display.display(Image.new("RGB", (128, 128), "white"))
    text = out.getvalue()
    assert text.count("█") == 128 * 64
    assert "\x1b[97;40m" in text  # white on black whatever the terminal's theme
    display.hide()
    display.display(Image.new("RGB", (128, 128), "black"))
    assert out.getvalue() == text, "a hidden panel draws nothing"


def test_capture_writes_a_png_per_frame(tmp_path: Path) -> None:
    cfg = DisplayConfig.from_table(
        {"driver": "capture", "capture_dir": "frames"}, base_dir=tmp_path
    )
    display = open_display(cfg)
    display.display(picture(1))
    display.display(picture(2))
    files = sorted((tmp_path / "frames").iterdir())
    assert [f.name for f in files] == ["frame_000001.png", "frame_000002.png"], "no .part left"
    for n, file in enumerate(files, start=1):
        with Image.open(file) as saved:
            assert saved.convert("RGB").tobytes() == picture(n).tobytes()


def test_a_reader_never_opens_a_half_written_frame(tmp_path: Path) -> None:
    # The end-to-end tests read frames while the terminal process writes them; luma's own capture
    # device saved straight to the final name and a reader once caught an empty PNG. The writer is
    # another process here too: pygame holds the GIL while it saves, so a thread could not race it.
    frames = tmp_path / "frames"
    written = 150
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITE_FRAMES, str(frames), str(written)],
        cwd=Path(__file__).parents[2],
    )
    opened = 0
    done = False
    try:
        while not done:
            done = writer.poll() is not None  # one more pass after the writer has finished
            # Watch only the next frame's name, so it is opened the instant it appears.
            while (frames / f"frame_{opened + 1:06}.png").exists():
                with Image.open(frames / f"frame_{opened + 1:06}.png") as frame:
                    frame.load()  # raises on an empty or truncated file
                opened += 1
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == 0
    assert opened == written


WRITE_FRAMES = """
import sys
from pathlib import Path
from PIL import Image, ImageDraw
from hardware.config import DisplayConfig
from hardware.display import open_display

display = open_display(DisplayConfig(driver="capture", capture_dir=Path(sys.argv[1])))
for n in range(int(sys.argv[2])):
    image = Image.new("RGB", (128, 128))
    ImageDraw.Draw(image).text((4, 4), str(n), fill="white")
    display.display(image)
"""


@pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")
@pytest.mark.parametrize(
    ("driver", "interface", "size", "mode"),
    [
        ("ssd1306", "i2c", (128, 64), "1"),
        ("sh1106", "i2c", (128, 64), "1"),
        ("ssd1309", "spi", (128, 64), "1"),
        ("ssd1327", "i2c", (128, 128), "RGB"),
        ("ssd1351", "spi", (128, 128), "RGB"),
        ("st7789", "spi", (240, 240), "RGB"),
    ],
)
def test_real_drivers_on_a_recording_bus(
    driver: str, interface: str, size: tuple[int, int], mode: str
) -> None:
    serial = RecordingSerial()
    display = open_display(
        DisplayConfig(driver=driver, interface=interface), serial_interface=serial
    )
    assert (display.width, display.height) == size
    assert display.mode == mode
    serial.reset()
    frame = Image.new(display.mode, size, "white")
    display.display(frame)
    assert serial.data_bytes > 0
    geometry = geometry_of(display, DisplayConfig(driver=driver))
    assert geometry.qr_capable == (size[1] >= 128)


@pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")
def test_a_switched_backlight_sits_on_the_configured_pin_factory(
    mock_factory: MockFactory,
) -> None:
    # mock_factory is gpiozero's default here; the factory [gpio] names is another one.
    configured = MockFactory(revision="902120")
    try:
        display = open_display(
            DisplayConfig(driver="st7789", gpio_backlight=26),
            serial_interface=RecordingSerial(),
            pin_factory=configured,
        )
        light = configured.pin(26)
        assert light.function == "output"
        assert [s.state for s in light.states] == [False, True], "luma lights it on start-up"
        assert mock_factory.pins == {}, "gpiozero's default factory was never touched"
        display.cleanup()
        assert [s.state for s in light.states] == [False, True, False]
        assert light.function == "input", "cleanup released the pin"
    finally:
        configured.reset()


@pytest.mark.parametrize(
    ("cfg", "needed"),
    [
        (DisplayConfig(driver="st7789", gpio_backlight=26), True),
        (DisplayConfig(driver="st7789"), False),  # backlight wired to 3V3
        (DisplayConfig(driver="ssd1351", interface="spi"), False),  # D/C and reset: RPi.GPIO
        (DisplayConfig(driver="ssd1306", interface="i2c"), False),
        (DisplayConfig(driver="dummy"), False),
    ],
)
def test_only_a_switched_backlight_needs_the_pin_factory(cfg: DisplayConfig, needed: bool) -> None:
    assert needs_pin_factory(cfg) is needed


def test_dummy_display_geometry_follows_config() -> None:
    display = open_display(DisplayConfig(driver="dummy"))
    assert geometry_of(display, DisplayConfig(driver="dummy", qr=False)) == Geometry(
        128, 128, "RGB", qr_capable=False
    )


def test_missing_i2c_bus_says_how_to_enable_it() -> None:
    cfg = DisplayConfig(driver="ssd1306", interface="i2c", i2c_port=29)
    with pytest.raises(HardwareError, match="raspi-config"):
        open_display(cfg)


def test_a_qr_drawn_in_half_blocks_still_decodes() -> None:
    import zxingcpp

    from terminal.screens import qr
    from terminal.screens.geometry import SSD1351
    from terminal.screens.model import ShowInvoice, View
    from terminal.screens.render import render
    from tests.screens.test_render import INVOICE

    lines = half_blocks(render(View(ShowInvoice(INVOICE, 21_000, 900.0)), SSD1351))
    # Rebuild the picture the terminal shows: each character is two stacked pixels.
    tops = {" ": 0, "▄": 0, "▀": 255, "█": 255}
    bottoms = {" ": 0, "▀": 0, "▄": 255, "█": 255}
    shown = Image.new("L", (128, 2 * len(lines)))
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            shown.putpixel((x, 2 * y), tops[char])
            shown.putpixel((x, 2 * y + 1), bottoms[char])
    big = shown.resize((512, 4 * shown.height), Image.Resampling.NEAREST)
    assert [r.text for r in zxingcpp.read_barcodes(big)] == [qr.payload(INVOICE)]
