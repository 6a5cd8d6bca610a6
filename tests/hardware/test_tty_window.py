"""The terminal-drawn panel checks the window: it fits the picture, or says what size it needs."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from hardware.tty_display import TerminalDisplay, needed
from terminal.screens import qr
from terminal.screens.geometry import SSD1351
from terminal.screens.model import ShowInvoice, View
from terminal.screens.render import render
from tests.screens.test_render import INVOICE

ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BLOCKS = set("▀▄█ ")


def draw(window: tuple[int, int] | None, image: Image.Image, scale: int = 1) -> list[str]:
    """The visible lines of one frame drawn in a window of (columns, lines)."""
    out = io.StringIO()
    display = TerminalDisplay(128, 128, stream=out, scale=scale, window=lambda: window)
    display.display(image)
    return ESCAPES.sub("", out.getvalue()).splitlines()


def picture(lines: list[str]) -> list[str]:
    return [line for line in lines if line and set(line) <= BLOCKS]


INVOICE_FRAME = render(View(ShowInvoice(INVOICE, 21_000, 900.0)), SSD1351)


def test_the_sharp_size_is_the_panel_in_half_blocks_plus_a_line() -> None:
    assert needed(128, 128, 1) == (128, 65)
    assert needed(240, 240, 2) == (120, 61)


def test_a_big_enough_window_gets_the_panel_at_its_own_scale() -> None:
    lines = draw((130, 70), INVOICE_FRAME)
    assert len(picture(lines)) == 64
    assert all(len(line) == 128 for line in picture(lines))
    assert not any("scaled" in line for line in lines)


@pytest.mark.parametrize("window", [(127, 70), (128, 64), (100, 40), (64, 34), (40, 30), (32, 18)])
def test_a_small_window_gets_a_smaller_picture_that_never_wraps(window: tuple[int, int]) -> None:
    columns, rows = window
    lines = draw(window, INVOICE_FRAME)
    assert len(lines) <= rows
    assert all(len(line) <= columns for line in picture(lines))
    assert any(line.startswith("scaled 1/") and "128x65" in line for line in lines)


def test_half_scale_keeps_a_128_panel_qr_readable() -> None:
    # 2 px per module on the panel become one half-block per module: still a QR.
    shown = picture(draw((70, 40), INVOICE_FRAME))
    tops = {" ": 0, "▄": 0, "▀": 255, "█": 255}
    bottoms = {" ": 0, "▀": 0, "▄": 255, "█": 255}
    image = Image.new("L", (len(shown[0]), 2 * len(shown)))
    for y, line in enumerate(shown):
        for x, char in enumerate(line):
            image.putpixel((x, 2 * y), tops[char])
            image.putpixel((x, 2 * y + 1), bottoms[char])
    big = image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST)
    assert [r.text for r in zxingcpp.read_barcodes(big)] == [qr.payload(INVOICE)]


def test_a_window_too_small_for_any_scale_gets_a_message_not_garbage() -> None:
    lines = draw((30, 12), INVOICE_FRAME)
    text = " ".join(lines)
    assert not picture(lines)
    assert "needs a 128x65 character window" in text
    assert "this one is 30x12" in text


def test_no_terminal_means_no_check() -> None:
    # Writing to a pipe or a file: nothing to measure, the panel is drawn as configured.
    assert len(picture(draw(None, INVOICE_FRAME))) == 64
    assert len(picture(draw(None, INVOICE_FRAME, scale=2))) == 32
