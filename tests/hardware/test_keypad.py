"""The matrix keypad on real gpiozero devices over mock pins wired like a real matrix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.config import KeypadConfig
from hardware.keypad import Debouncer, KeyPress, MatrixKeypad, Unmapped, map_label
from terminal.keys import Key
from tests.support.gpio import Matrix
from tests.support.timing import scaled

ROWS = (5, 6, 13, 19)
COLS = (12, 16, 20, 21)
LABELS = ("123A", "456B", "789C", "*0#D")


@pytest.fixture
def wired(mock_factory: MockFactory) -> Iterator[tuple[Matrix, MatrixKeypad]]:
    matrix = Matrix(mock_factory, ROWS, COLS, LABELS)
    keypad = MatrixKeypad(KeypadConfig(driver="matrix", row_pins=ROWS, col_pins=COLS, scan_ms=5))
    yield matrix, keypad
    keypad.close()


def test_idle_scan_sees_nothing(wired: tuple[Matrix, MatrixKeypad]) -> None:
    _, keypad = wired
    assert keypad.scan() == frozenset()


@pytest.mark.parametrize("label", list("".join(LABELS)))
def test_every_key_is_found_at_its_crossing(wired: tuple[Matrix, MatrixKeypad], label: str) -> None:
    matrix, keypad = wired
    matrix.press(label)
    assert keypad.scan() == {label}


def test_two_keys_in_one_column_do_not_short_the_rows(wired: tuple[Matrix, MatrixKeypad]) -> None:
    matrix, keypad = wired
    matrix.press("1", "4")
    assert keypad.scan() == {"1", "4"}
    assert matrix.shorts == 0


def test_three_keys_make_a_ghost_that_is_never_typed(wired: tuple[Matrix, MatrixKeypad]) -> None:
    matrix, keypad = wired
    matrix.press("1", "2", "4")
    assert keypad.scan() == {"1", "2", "4", "5"}  # the wires really do show a ghost "5"
    assert [keypad.step() for _ in range(4)] == [None] * 4
    matrix.release()
    assert [keypad.step() for _ in range(3)] == [None] * 3
    matrix.press("5")
    assert [keypad.step() for _ in range(2)] == [None, Key.D5]


def test_a_key_counts_after_two_scans_and_once_per_press(
    wired: tuple[Matrix, MatrixKeypad],
) -> None:
    matrix, keypad = wired
    matrix.press("7")
    assert keypad.step() is None
    assert keypad.step() is Key.D7
    assert [keypad.step() for _ in range(5)] == [None] * 5  # held: no repeat
    matrix.release("7")
    keypad.step()
    keypad.step()
    assert keypad.idle


def test_contact_bounce_types_one_key(wired: tuple[Matrix, MatrixKeypad]) -> None:
    matrix, keypad = wired
    typed: list[KeyPress] = []
    # Bounce: the contact makes and breaks between scans before it settles.
    for closed in (True, False, True, False, True, True, True, False, True, True):
        if closed:
            matrix.press("#")
        else:
            matrix.release("#")
        if (press := keypad.step()) is not None:
            typed.append(press)
    assert typed == [Key.OK]


def test_a_one_scan_glitch_is_ignored(wired: tuple[Matrix, MatrixKeypad]) -> None:
    matrix, keypad = wired
    matrix.press("9")
    assert keypad.step() is None
    matrix.release("9")
    assert [keypad.step() for _ in range(3)] == [None] * 3


def test_two_keys_at_once_type_nothing_until_released(wired: tuple[Matrix, MatrixKeypad]) -> None:
    matrix, keypad = wired
    matrix.press("1", "3")
    assert [keypad.step() for _ in range(3)] == [None] * 3
    matrix.release("1")  # roll-over to a single key: still nothing
    assert [keypad.step() for _ in range(3)] == [None] * 3
    matrix.release()
    keypad.step()
    keypad.step()
    matrix.press("3")
    assert [keypad.step() for _ in range(2)] == [None, Key.D3]


async def test_typing_through_the_async_scanner_from_another_thread(
    wired: tuple[Matrix, MatrixKeypad],
) -> None:
    """Presses come from a foreign thread, as lgpio's callbacks do on a Pi."""
    matrix, keypad = wired
    keys = keypad.keys()
    typed: list[KeyPress] = []
    for label in "2100#":
        await asyncio.to_thread(matrix.press, label)
        typed.append(await asyncio.wait_for(anext(keys), scaled(2)))
        await asyncio.to_thread(matrix.release, label)
        # A person lifts a finger for longer than two scans; wait until the scanner saw it.
        settled = await asyncio.to_thread(matrix.rows[0].wait_for, lambda _: keypad.idle, scaled(2))
        assert settled
    await keys.aclose()
    assert typed == [Key.D2, Key.D1, Key.D0, Key.D0, Key.OK]
    assert matrix.shorts == 0


def test_debouncer_alone() -> None:
    d = Debouncer()
    seen = [set(), {"1"}, {"1"}, {"1"}, set(), set(), {"2"}, {"2", "3"}, {"2", "3"}, {"2"}, {"2"}]
    out = [d.feed(frozenset(s)) for s in seen]
    assert out == [None, None, "1", None, None, None, None, None, None, None, None]


@pytest.mark.parametrize(
    ("label", "layout", "key"),
    [
        ("5", "4x4", Key.D5),
        ("#", "4x4", Key.OK),
        ("*", "4x4", Key.CANCEL),
        ("*", "3x4", Key.BACK),
        ("A", "4x4", Key.BACK),
        ("B", "4x4", Key.RECONNECT),
        ("C", "4x4", Key.MENU),
        ("D", "4x4", Unmapped("D")),
    ],
)
def test_key_map(label: str, layout: str, key: KeyPress) -> None:
    assert map_label(label, layout) == key


def test_3x4_layout(mock_factory: MockFactory) -> None:
    labels = ("123", "456", "789", "*0#")
    matrix = Matrix(mock_factory, ROWS, COLS[:3], labels)
    keypad = MatrixKeypad(
        KeypadConfig(driver="matrix", layout="3x4", row_pins=ROWS, col_pins=COLS[:3])
    )
    try:
        matrix.press("*")
        assert [keypad.step() for _ in range(2)] == [None, Key.BACK]
    finally:
        keypad.close()


def test_a_pin_already_in_use_is_a_hardware_error(mock_factory: MockFactory) -> None:
    from gpiozero import LED

    from terminal.errors import HardwareError

    led = LED(COLS[0])
    try:
        with pytest.raises(HardwareError, match=r"keypad\.col_pins"):
            MatrixKeypad(KeypadConfig(driver="matrix", row_pins=ROWS, col_pins=COLS))
    finally:
        led.close()
