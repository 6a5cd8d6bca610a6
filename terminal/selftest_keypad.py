"""The self-test's keypad part: "press each key", and what to check when keys never arrive.

A key that never arrives is most often a wire: when a whole row or column of the matrix is
missing, the line names that wire (keypad connector pin and header pin, for the common membrane
pads whose connector carries the rows first, then the columns: hardware/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from hardware.config import KeypadConfig
from hardware.header import where
from hardware.keypad import Keypad, KeyPress, MatrixKeypad, Unmapped
from terminal.screens.model import KeyTest, Screen


async def press_each_key(
    keypad: Keypad,
    cfg: KeypadConfig,
    *,
    idle_seconds: float,
    say: Callable[[str], None],
    draw: Callable[[Screen], None],
) -> tuple[bool, str]:
    """Ask for every key in any order, showing each; (True, what) or (False, what to check).

    Gives up ``idle_seconds`` after the last key (or the start).
    """
    rows = keypad.key_rows()
    label_of: dict[KeyPress, str] = {press: label for row in rows for label, press in row}
    grid = tuple(tuple(label for label, _ in row) for row in rows)
    wanted = set(label_of.values())
    seen: set[str] = set()
    say(
        f"press each key, in any order ({len(wanted)} keys: {' '.join(sorted(wanted))}); "
        f"the test gives up after {idle_seconds:.0f} s without a key"
    )
    draw(KeyTest(grid))
    presses: asyncio.Queue[KeyPress] = asyncio.Queue()

    async def pump() -> None:
        async for press in keypad.keys():
            presses.put_nowait(press)

    reader = asyncio.create_task(pump(), name="selftest-keys")
    try:
        while seen != wanted:
            try:
                press = await asyncio.wait_for(presses.get(), idle_seconds)
            except TimeoutError:
                break
            label = label_of.get(press) or _name(press)
            seen.add(label)
            say(f"  pressed {label}  ({len(seen & wanted)} of {len(wanted)})")
            draw(KeyTest(grid, frozenset(seen), label))
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    missing = [label for row in grid for label in row if label not in seen]
    if not missing:
        return True, f"all {len(wanted)} keys arrived"
    return False, _missing(cfg, grid, missing, keypad)


def _name(press: KeyPress) -> str:
    return press.char if isinstance(press, Unmapped) else press.value


def stuck_keys(hw_keypad: KeypadConfig, keypad: MatrixKeypad, labels: frozenset[str]) -> str:
    """What to check when ``labels`` read pressed with nobody touching the pad."""
    rows = keypad.key_rows()
    places = []
    for r, row in enumerate(rows):
        for c, (label, _) in enumerate(row):
            if label in labels:
                row_wire, col_wire = where(hw_keypad.row_pins[r]), where(hw_keypad.col_pins[c])
                places.append(f"{label} (row {row_wire}, column {col_wire})")
    return (
        f"key {', '.join(places)} reads pressed with nothing touching it: a stuck key, or a "
        "short between those two wires"
    )


def _missing(
    cfg: KeypadConfig, grid: tuple[tuple[str, ...], ...], missing: list[str], keypad: Keypad
) -> str:
    """What never arrived, and for a matrix the wire that explains it."""
    text = f"no press from {' '.join(missing)}"
    if not isinstance(keypad, MatrixKeypad):
        return text + ": the input ended or the time ran out"
    n_rows = len(grid)
    hints = []
    for r, row in enumerate(grid):
        if all(label in missing for label in row):
            hints.append(f"row {r + 1}: keypad pin {r + 1} to {where(cfg.row_pins[r])}")
    for c in range(len(grid[0])):
        if all(row[c] in missing for row in grid):
            hints.append(f"column {c + 1}: keypad pin {n_rows + c + 1} to {where(cfg.col_pins[c])}")
    if hints:
        return f"{text}: check the wire of " + "; ".join(hints)
    return f"{text}: check those keys' contacts, or press them within the time"
