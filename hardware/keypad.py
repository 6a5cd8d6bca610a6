"""Key input: a matrix keypad scanned through gpiozero, behind a small ``Keypad`` protocol.

The matrix (HARDWARE-NOTES §3): rows are open-drain (high impedance when idle, driven LOW when
selected, so two keys in one column never short a HIGH row to a LOW one); columns are inputs
with pull-ups, read as pressed when LOW. A key counts once it is seen in two consecutive scans,
and only a single key at a time: without diodes three keys at the corners of a rectangle make a
fourth, ghost key, so any scan that sees more than one key is ignored until the pad is released.

Power: while idle all rows are held LOW and a column edge wakes the scanner; gpiozero calls that
edge callback on its own thread, so it enters the loop only through ``call_soon_threadsafe``.

Key map (physical label -> ``terminal.keys.Key``): digits type digits; ``#`` OK; on a 4x4 pad
``*`` CANCEL, ``A`` BACK, ``B`` RECONNECT, ``C`` MENU; on a 3x4 pad ``*`` BACK (the flow treats
BACK on an empty amount as cancel, and three on the idle screen as MENU). Other labels (``D``)
arrive as :class:`Unmapped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hardware.config import KeypadConfig
from terminal.errors import HardwareError
from terminal.keys import Key
from terminal.screens.labels import KeyLabels

log = logging.getLogger(__name__)

STANDARD_LABELS = {"4x4": ("123A", "456B", "789C", "*0#D"), "3x4": ("123", "456", "789", "*0#")}
# While idle, a column edge wakes the scanner; this slow poll only covers a lost edge.
_IDLE_POLL_S = 1.0


@dataclass(frozen=True)
class Unmapped:
    """A key with no meaning to the payment flow (a spare matrix key, or a desktop letter)."""

    char: str


KeyPress = Key | Unmapped
# The physical keys row by row: each key's printed label and what pressing it types.
KeyRows = tuple[tuple[tuple[str, KeyPress], ...], ...]


class Keypad(Protocol):
    """Where key presses come from, and what its keys are called."""

    @property
    def labels(self) -> KeyLabels:
        """The function keys' labels, for the screens' hints."""
        ...

    def key_rows(self) -> KeyRows:
        """Every key, row by row (the self-test asks for each)."""
        ...

    def keys(self) -> AsyncIterator[KeyPress]: ...
    def close(self) -> None: ...


def map_label(label: str, layout: str) -> KeyPress:
    """The key a physical matrix label stands for on ``layout`` ("4x4" or "3x4")."""
    if label.isdigit():
        return Key.from_digit(int(label))
    fixed = {"#": Key.OK, "A": Key.BACK, "B": Key.RECONNECT, "C": Key.MENU}
    if label == "*":
        return Key.CANCEL if layout == "4x4" else Key.BACK
    return fixed.get(label, Unmapped(label))


def matrix_labels(grid: tuple[str, ...], layout: str) -> KeyLabels:
    """The function keys' labels on a matrix printed as ``grid`` (one string per row)."""
    named: dict[Key, str] = {}
    for label in "".join(grid):
        key = map_label(label, layout)
        if isinstance(key, Key):
            named.setdefault(key, label)
    back = named.get(Key.BACK, "?")
    return KeyLabels(
        ok=named.get(Key.OK, "?"),
        # A 3x4 pad has no CANCEL key: BACK on an empty amount cancels.
        cancel=named.get(Key.CANCEL, back),
        back=back,
        reconnect=named.get(Key.RECONNECT),
        menu=named.get(Key.MENU),
    )


# A key counts once this many consecutive scans agree on it.
_DEBOUNCE_SCANS = 2


class Debouncer:
    """Two-scan debounce, one key at a time. Pure: feed it what each scan saw."""

    def __init__(self) -> None:
        self._candidate: frozenset[str] = frozenset()
        self._count = _DEBOUNCE_SCANS
        self._stable: frozenset[str] = frozenset()

    def feed(self, seen: frozenset[str]) -> str | None:
        """The label of a key that just went down, cleanly and alone; else None."""
        if seen == self._candidate:
            self._count += 1
        else:
            self._candidate, self._count = seen, 1
        if self._count < _DEBOUNCE_SCANS or self._candidate == self._stable:
            return None
        previous, self._stable = self._stable, self._candidate
        # From "nothing" to exactly one key: a press. Anything involving several keys (a
        # chord, a roll-over, a ghost) waits for a full release.
        if not previous and len(self._stable) == 1:
            return next(iter(self._stable))
        return None

    @property
    def idle(self) -> bool:
        """True once the pad has been seen released for good."""
        return not self._stable and not self._candidate


class _OpenDrainRow:
    """A row line: high impedance when idle, driven LOW when selected."""

    def __init__(self, pin: int, factory: Any) -> None:
        from gpiozero import GPIODevice

        self._device = GPIODevice(pin, pin_factory=factory)
        self._pin = self._device.pin
        self.release()

    def select(self) -> None:
        self._pin.function = "output"
        self._pin.state = False

    def release(self) -> None:
        self._pin.function = "input"
        self._pin.pull = "up"

    def close(self) -> None:
        self._device.close()


class MatrixKeypad:
    """A 4x4 or 3x4 matrix on GPIO pins (``pin_factory`` None = gpiozero's default)."""

    def __init__(self, cfg: KeypadConfig, *, pin_factory: Any = None) -> None:
        from gpiozero import Button, GPIOZeroError

        self._layout = cfg.layout
        self._labels = cfg.labels or STANDARD_LABELS[cfg.layout]
        self._scan_s = cfg.scan_ms / 1000
        self._debouncer = Debouncer()
        self._rows: list[_OpenDrainRow] = []
        self._cols: list[Any] = []
        try:
            for p in cfg.row_pins:
                self._rows.append(_OpenDrainRow(p, pin_factory))
            for p in cfg.col_pins:
                # No bounce_time: debounce is ours (the scan itself toggles the columns).
                self._cols.append(
                    Button(p, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                )
        except GPIOZeroError as exc:
            self.close()
            raise HardwareError(
                f"cannot claim the keypad pins ({exc}): check keypad.row_pins and "
                "keypad.col_pins, that no other section uses them, and that the user is in the "
                "gpio group"
            ) from exc

    @property
    def labels(self) -> KeyLabels:
        """``#``, ``*`` and friends, as printed on this pad."""
        return matrix_labels(self._labels, self._layout)

    def key_rows(self) -> KeyRows:
        """The matrix as wired: row by row, each label and its key."""
        return tuple(tuple((c, map_label(c, self._layout)) for c in row) for row in self._labels)

    def scan(self) -> frozenset[str]:
        """One pass over the matrix: the labels of every switch seen closed.

        Expects every row released, as it is after construction, after a scan and after
        :meth:`_release_rows`; it leaves them so.
        """
        seen: set[str] = set()
        for r, row in enumerate(self._rows):
            row.select()
            seen.update(self._labels[r][c] for c, col in enumerate(self._cols) if col.is_pressed)
            row.release()
        return frozenset(seen)

    def step(self) -> KeyPress | None:
        """Scan once and debounce: the key that just went down, if any."""
        label = self._debouncer.feed(self.scan())
        return None if label is None else map_label(label, self._layout)

    @property
    def idle(self) -> bool:
        """True when no key is down (the scanner may sleep until a column edge)."""
        return self._debouncer.idle

    def _hold_rows_low(self) -> bool:
        """Arm the wake-up (all rows LOW); True if a key is already down."""
        for row in self._rows:
            row.select()
        return any(col.is_pressed for col in self._cols)

    def _release_rows(self) -> None:
        """Disarm the wake-up, so a scan can select one row at a time."""
        for row in self._rows:
            row.release()

    async def keys(self) -> AsyncGenerator[KeyPress, None]:
        """Key presses, forever. Scanning runs on its own task, whatever the consumer's pace."""
        presses: asyncio.Queue[KeyPress] = asyncio.Queue()
        scanner = asyncio.create_task(self._scan_forever(presses.put_nowait), name="keypad-scan")
        try:
            while True:
                yield await presses.get()
        finally:
            scanner.cancel()

    async def _scan_forever(self, emit: Callable[[KeyPress], None]) -> None:
        """Sleep until a column edge, scan until the pad is released, repeat."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def on_edge() -> None:  # runs on gpiozero's thread
            loop.call_soon_threadsafe(wake.set)

        for col in self._cols:
            col.when_pressed = on_edge
        try:
            while True:
                wake.clear()
                if not self._hold_rows_low():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), _IDLE_POLL_S)
                self._release_rows()
                while True:
                    press = self.step()
                    if press is not None:
                        emit(press)
                    if self.idle:
                        break
                    await asyncio.sleep(self._scan_s)
        finally:
            for col in self._cols:
                col.when_pressed = None

    def close(self) -> None:
        """Release every pin."""
        for device in [*self._cols, *self._rows]:
            device.close()
        self._cols.clear()
        self._rows.clear()
