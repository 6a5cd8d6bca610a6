"""Key hints name the keypad's own keys; shop names in any covered script are drawn, not folded."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from hardware.keypad import STANDARD_LABELS, matrix_labels
from hardware.stdin_keys import StdinKeypad
from terminal.keys import Key
from terminal.screens.draw import FIT_MARGIN, drawable, fit, font, printable, text_width
from terminal.screens.geometry import SSD1351, Geometry
from terminal.screens.labels import DESKTOP, KEYPAD_3X4, KEYPAD_4X4, KeyLabels, with_labels
from terminal.screens.model import AmountEntry, Idle, NotReady, Screen, View
from terminal.screens.render import render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BLINK_UPDATE_GOLDENS") == "1"


def on(keys: KeyLabels, geometry: Geometry = SSD1351) -> Geometry:
    return dataclasses.replace(geometry, keys=keys)


def test_each_keypad_driver_chooses_its_labels() -> None:
    assert matrix_labels(STANDARD_LABELS["4x4"], "4x4") == KEYPAD_4X4
    assert matrix_labels(STANDARD_LABELS["3x4"], "3x4") == KEYPAD_3X4
    assert StdinKeypad().labels == DESKTOP
    # A pad printed differently names the keys where they really are.
    moved = matrix_labels(("#123", "456A", "789B", "*0CD"), "4x4")
    assert (moved.ok, moved.back, moved.reconnect) == ("#", "A", "B")
    assert matrix_labels(("123", "456", "789", "10*"), "3x4").ok == "?"


def test_the_desktop_key_rows_type_what_they_say() -> None:
    rows = StdinKeypad().key_rows()
    named = {label: press for row in rows for label, press in row}
    assert named["Enter"] is Key.OK
    assert named["Esc"] is Key.CANCEL
    assert named["Backspace"] is Key.BACK
    assert named["r"] is Key.RECONNECT
    assert [named[str(d)] for d in range(10)] == [Key.from_digit(d) for d in range(10)]


def test_flow_texts_name_the_key_by_its_label() -> None:
    text = "Check the network, then press RECONNECT"
    assert with_labels(text, KEYPAD_4X4) == "Check the network, then press B"
    assert with_labels(text, DESKTOP) == "Check the network, then press r"
    assert with_labels(text, KEYPAD_3X4) == text  # no such key: the role name stays
    assert with_labels("press OK to pay, OK?", DESKTOP) == "press Enter to pay, OK?"


VARIANTS: dict[str, tuple[Screen, KeyLabels]] = {
    "amount-desktop": (AmountEntry("21000"), DESKTOP),
    "idle-desktop": (Idle("Corner Café"), DESKTOP),
    "amount-3x4": (AmountEntry("21000"), KEYPAD_3X4),
    "amount_empty-3x4": (AmountEntry(""), KEYPAD_3X4),
    "not_ready-desktop": (NotReady("No connection to Blink", "press RECONNECT"), DESKTOP),
    "idle-greek": (Idle("Καφενείο Ωμέγα"), KEYPAD_4X4),
    "idle-cyrillic": (Idle("Кафе «Жар-птица»"), KEYPAD_4X4),
    "idle-latin-ext": (Idle("Łódź Çay Ørsted ß"), KEYPAD_4X4),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_matches_golden(name: str) -> None:
    screen, keys = VARIANTS[name]
    image = render(View(screen, now=0.0), on(keys)).convert("RGB")
    path = GOLDEN / f"{name}-128x128RGB.png"
    if UPDATE:
        image.save(path, optimize=True)
    golden = Image.open(path).convert("RGB")
    assert ImageChops.difference(image, golden).getbbox() is None, f"{path.name} differs"


@pytest.mark.parametrize("screen", [AmountEntry("21"), Idle("Shop"), NotReady("x", "press CANCEL")])
def test_the_hint_changes_with_the_keypad(screen: Screen) -> None:
    drawn = {render(View(screen, now=0.0), on(k)).tobytes() for k in (KEYPAD_4X4, DESKTOP)}
    assert len(drawn) == 2


def test_a_3x4_pad_says_what_star_does_now() -> None:
    empty = render(View(AmountEntry(""), now=0.0), on(KEYPAD_3X4))
    typed = render(View(AmountEntry(""), now=0.0), on(KEYPAD_4X4))
    # Same hint ("* cancel") on an empty amount; with digits typed the 3x4 hint says "back".
    assert empty.tobytes() == typed.tobytes()
    strip = (0, 100, 128, 128)
    back = render(View(AmountEntry("5"), now=0.0), on(KEYPAD_3X4)).crop(strip)
    cancel = render(View(AmountEntry("5"), now=0.0), on(KEYPAD_4X4)).crop(strip)
    assert back.tobytes() != cancel.tobytes()


@pytest.mark.parametrize(
    "name", ["Corner Café", "Καφενείο", "Кафе Ж", "Łódź", "Ørsted", "İstanbul", "Straße", "€ 5"]
)
def test_latin_greek_cyrillic_names_are_drawn_as_typed(name: str) -> None:
    assert printable(name) == name
    drawn = render(View(Idle(name), now=0.0), SSD1351)
    fallback = render(View(Idle("?" * len(name)), now=0.0), SSD1351)
    assert drawn.tobytes() != fallback.tobytes()


def test_uncovered_characters_fold_or_become_question_marks() -> None:
    assert not drawable("中")
    assert printable("中文 Café") == "?? Café"
    assert printable("e\u0301") == "é"  # composed first: the font has é
    assert printable("a\x00b") == "a?b"


def _fit_by_walking(
    draw: ImageDraw.ImageDraw, text: str, width: int, largest: int, smallest: int
) -> int:
    """The size fit() must choose: every size from ``largest`` down, the first that fits."""
    shown = printable(text)
    for size in range(largest, smallest - 1, -1):
        if text_width(draw, shown, font(size)) <= width:
            return size
    return smallest


@pytest.mark.parametrize(
    "text",
    ["2,100", "1,000,000 sats", "Corner Café", "Καφενείο Ωμέγα", "WWWWWWWWWW", "iiiiiiiiiiii", "."],
)
def test_fit_picks_what_walking_every_size_would(text: str) -> None:
    # fit() opens only the sizes near its proportional estimate; it must not choose differently.
    draw = ImageDraw.Draw(Image.new("L", (240, 240)))
    for largest, smallest in ((52, 7), (28, 7), (14, 6)):
        for width in range(4, 240, 3):
            chosen = fit(draw, text, width, largest, smallest)
            assert isinstance(chosen, ImageFont.FreeTypeFont)
            assert chosen.size == _fit_by_walking(draw, text, width, largest, smallest), (
                text,
                width,
                largest,
            )


def test_fit_opens_a_few_sizes_not_every_one_on_the_way_down() -> None:
    draw = ImageDraw.Draw(Image.new("L", (240, 240)))
    font.cache_clear()
    chosen = fit(draw, "1,000,000", 60, 52, 7)
    assert isinstance(chosen, ImageFont.FreeTypeFont)
    assert chosen.size < 52 - FIT_MARGIN - 3  # far down: a walk would have opened many sizes
    assert font.cache_info().currsize <= FIT_MARGIN + 3
