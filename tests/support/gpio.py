"""gpiozero MockFactory fixtures, and a keypad matrix that behaves like the wires do.

``mock_factory`` installs a fresh ``MockFactory`` (PWM-capable pins that notify waiters) as
gpiozero's default and resets it afterwards, so every test may reuse GPIO numbers (gpiozero#1087).
An explicit factory is set before any device is made, so gpiozero never probes for a real
board and never warns ``PinFactoryFallback``.

``Matrix`` models a keypad without diodes: pressed switches join row and column nets
(union-find); a net is LOW when a row driving LOW is on it; a net with one row driving HIGH and
another driving LOW is a short, and is counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin


class WatchedPin(MockPWMPin):  # type: ignore[misc]  # gpiozero ships no type information
    """A mock PWM pin whose state changes wake threads waiting on it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.changed = threading.Condition()
        self.frequencies: list[float | None] = []
        super().__init__(*args, **kwargs)

    def _change_state(self, value: object) -> bool:
        with self.changed:
            result: bool = super()._change_state(value)
            self.changed.notify_all()
        return result

    def _set_frequency(self, value: float | None) -> None:
        super()._set_frequency(value)
        with self.changed:
            self.frequencies.append(value)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[WatchedPin], bool], timeout: float) -> bool:
        """Block until ``predicate(self)`` holds; False on timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """gpiozero's default pin factory, a fresh MockFactory (Pi Zero 2 W) for this test."""
    saved = Device.pin_factory
    factory = MockFactory(revision="902120", pin_class=WatchedPin)
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = saved


class RowPin(WatchedPin):
    """A row line; any change re-solves the matrix."""

    matrix: Matrix | None = None

    def _change_state(self, value: object) -> bool:
        changed = super()._change_state(value)
        if self.matrix is not None:
            self.matrix.solve()
        return changed

    def _set_function(self, value: str) -> None:
        super()._set_function(value)
        if self.matrix is not None:
            self.matrix.solve()


class Matrix:
    """A keypad's wires on mock pins: ``press``/``release`` keys by label, from any thread."""

    def __init__(
        self, factory: MockFactory, rows: Sequence[int], cols: Sequence[int], labels: Sequence[str]
    ) -> None:
        self._lock = threading.RLock()
        self._labels = labels
        self.pressed: set[str] = set()
        self.shorts = 0
        # Row pins must exist as RowPins before the keypad claims them: the factory caches pins.
        self.rows = [factory.pin(r, pin_class=RowPin) for r in rows]
        self.cols = [factory.pin(c) for c in cols]
        for pin in self.rows:
            pin.matrix = self

    def _where(self, label: str) -> tuple[int, int]:
        for r, row in enumerate(self._labels):
            if label in row:
                return r, row.index(label)
        raise KeyError(label)

    def press(self, *labels: str) -> None:
        """Close these switches."""
        with self._lock:
            self.pressed.update(labels)
            self.solve()

    def release(self, *labels: str) -> None:
        """Open these switches (all of them if none are named)."""
        with self._lock:
            self.pressed.difference_update(labels or set(self.pressed))
            self.solve()

    def solve(self) -> None:
        """Recompute every column from the rows and the closed switches."""
        with self._lock:
            n = len(self.rows)
            parent = list(range(n + len(self.cols)))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            for label in self.pressed:
                r, c = self._where(label)
                parent[find(r)] = find(n + c)
            low: set[int] = set()
            high: set[int] = set()
            for r, pin in enumerate(self.rows):
                if pin.function == "output":
                    (high if pin.state else low).add(find(r))
            self.shorts += len(low & high)
            for c, pin in enumerate(self.cols):
                if pin.function != "input":
                    continue
                if find(n + c) in low:
                    pin.drive_low()
                else:
                    pin.drive_high()  # the column's pull-up
