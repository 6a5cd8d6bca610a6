"""The whole terminal in this test's process and event loop, against the sandbox on the same loop.

No subprocess: coverage counts, and the test can reach the sandbox's faults and ledger directly.
The display is luma's dummy device behind the real display worker; every screen handed to it is
recorded, so a test waits for a screen the way a merchant would look at one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from terminal.config import Config, parse_config
from terminal.errors import HardwareError
from terminal.keys import Key
from terminal.links import LinkState
from terminal.money.journal import Journal
from terminal.money.sale import Sale
from terminal.sandbox import Sandbox
from terminal.screens.model import Screen, Status, View
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal
from tests.support.timing import scaled

S = TypeVar("S")


class RecordingPeripherals(Peripherals):
    """The real peripherals (dummy display, no keypad), recording each screen handed over."""

    screens: list[Screen]
    status: Status
    changed: asyncio.Event
    keypad_lost: asyncio.Event
    keypad_error = "the keypad's GPIO chip went away"

    def show_view(self, view: View) -> None:
        """Note the screen and the status bar, then draw as usual."""
        if not self.screens or self.screens[-1] != view.screen:
            self.screens.append(view.screen)
        self.status = view.status
        self.changed.set()
        super().show_view(view)

    async def keys(self) -> AsyncIterator[Key]:
        """No keys (tests press them directly); fails when a test sets ``keypad_lost``."""
        await self.keypad_lost.wait()
        raise HardwareError(self.keypad_error)
        yield Key.OK  # pragma: no cover - makes this an async generator


def terminal_config(sandbox: Sandbox, folder: Path, **sections: dict[str, Any]) -> Config:
    """A desktop configuration for ``sandbox`` (keys written into ``folder``)."""
    keys = sandbox.write_keys(folder / "keys")
    raw: dict[str, dict[str, Any]] = {
        "terminal": {"name": "Glue Café", "state_dir": str(folder / "state"), "clock": "trust"},
        "blink": {
            "api_url": sandbox.http_url,
            "ws_url": sandbox.ws_url,
            "timeout_seconds": scaled(2.0),
        },
        "blinkpos": {"key_file": str(keys["blinkpos"])},
        "merchant": {"username": "merchant"},
        "display": {"driver": "dummy"},
        "keypad": {"driver": "none"},
        "indicators": {"driver": "none"},
        "power": {"driver": "none"},
        "gpio": {"pin_factory": "mock"},
    }
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return parse_config(raw, path=folder / "terminal.toml")


class Rig:
    """A running in-process terminal; use ``async with Rig(...) as rig``."""

    def __init__(self, sandbox: Sandbox, folder: Path, config: Config | None = None) -> None:
        self.sandbox = sandbox
        self.folder = folder
        self.config = config or terminal_config(sandbox, folder)
        self.peripherals = RecordingPeripherals.from_config(self.config)
        assert isinstance(self.peripherals, RecordingPeripherals)
        self.peripherals.screens = []
        self.peripherals.changed = asyncio.Event()
        self.peripherals.keypad_lost = asyncio.Event()
        self.terminal = Terminal(self.config, self.peripherals)
        self.task: asyncio.Task[int] | None = None
        self._seen = 0  # screens before this index were already waited past

    async def __aenter__(self) -> Rig:
        self.task = asyncio.get_running_loop().create_task(self.terminal.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> int:
        """Stop the terminal as SIGTERM would; its exit code."""
        assert self.task is not None
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            return await self.task
        return 0

    async def exit_code(self, within: float = 10.0) -> int:
        """Wait for the terminal to stop by itself; its exit code."""
        assert self.task is not None
        async with asyncio.timeout(scaled(within)):
            return await asyncio.shield(self.task)

    # --- the screen -------------------------------------------------------------------------

    @property
    def screens(self) -> list[Screen]:
        """Every screen shown so far, in order."""
        return self.peripherals.screens

    async def screen(
        self, kind: type[S], accept: Callable[[S], bool] = lambda _: True, within: float = 10.0
    ) -> S:
        """The next screen of ``kind`` (after the last one waited for) that ``accept`` likes."""
        async with asyncio.timeout(scaled(within)):
            while True:
                for index in range(self._seen, len(self.screens)):
                    screen = self.screens[index]
                    if isinstance(screen, kind) and accept(screen):
                        self._seen = index + 1
                        return screen
                self.peripherals.changed.clear()
                assert self.task is not None
                if self.task.done():
                    raise AssertionError(f"the terminal stopped ({self.task.result()})")
                await self.peripherals.changed.wait()

    async def link(self, state: LinkState, within: float = 10.0) -> None:
        """Wait until the status bar shows the BlinkPOS link in ``state``."""
        async with asyncio.timeout(scaled(within)):
            while getattr(self.peripherals, "status", None) is None or (
                self.peripherals.status.pos is not state
            ):
                self.peripherals.changed.clear()
                await self.peripherals.changed.wait()

    # --- the keypad -------------------------------------------------------------------------

    def press(self, *keys: Key) -> None:
        """Press keys on the keypad."""
        for key in keys:
            self.terminal.press(key)

    def type_amount(self, amount: int) -> None:
        """Type ``amount`` and OK."""
        self.press(*(Key.from_digit(int(d)) for d in str(amount)), Key.OK)

    # --- the journal --------------------------------------------------------------------------

    def sales(self) -> list[Sale]:
        """The journal's sales, newest first (a second, read-only use of the file)."""
        journal = Journal.open(Path(self.config.terminal.state_dir))
        try:
            return journal.recent(100)
        finally:
            journal.close()

    async def wait_for(
        self, condition: Callable[[], bool], what: str, within: float = 10.0
    ) -> None:
        """Check ``condition`` each time the loop has moved on, until true."""
        async with asyncio.timeout(scaled(within)):
            while not condition():
                assert self.task is not None
                if self.task.done():
                    raise AssertionError(f"the terminal stopped before {what}")
                await asyncio.sleep(0.01)  # a poll interval: the journal is another process' view
