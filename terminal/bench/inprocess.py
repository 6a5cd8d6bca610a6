"""The real terminal in a benchmark's own process: a config for a sandbox, watched screens."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from terminal.config import parse_config
from terminal.screens.model import View
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal

STEP_TIMEOUT = 30.0  # a sale step that takes longer than this means the bench is broken


class WatchedPeripherals(Peripherals):
    """The real peripherals, noting when each screen is handed to the display."""

    screens: asyncio.Queue[tuple[float, Any]]

    def show_view(self, view: View) -> None:
        """Note the screen and its time, then draw as usual."""
        self.screens.put_nowait((time.monotonic(), view.screen))
        super().show_view(view)


def bench_config(folder: Path, http_url: str, ws_url: str) -> dict[str, Any]:
    """A headless terminal configuration (dummy display, no keypad) for a sandbox."""
    return {
        "terminal": {"name": "Bench", "state_dir": str(folder / "state"), "clock": "trust"},
        "blink": {"api_url": http_url, "ws_url": ws_url, "timeout_seconds": 10.0},
        "blinkpos": {"key_file": str(folder / "keys" / "blinkpos.key")},
        "merchant": {"username": "merchant"},
        "display": {"driver": "dummy"},
        "keypad": {"driver": "none"},
        "indicators": {"driver": "none"},
        "power": {"driver": "none"},
        "gpio": {"pin_factory": "mock"},
    }


async def next_screen(screens: asyncio.Queue[tuple[float, Any]], kind: type) -> tuple[float, Any]:
    """The next screen of ``kind`` handed to the display, and when."""
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            at, screen = await screens.get()
            if isinstance(screen, kind):
                return at, screen


@contextlib.asynccontextmanager
async def running_terminal(
    sb: Any, folder: Path, **options: Any
) -> AsyncIterator[tuple[Terminal, asyncio.Queue[tuple[float, Any]]]]:
    """The real terminal running on this loop against ``sb``; its screens as they are shown.

    ``options`` go to :class:`Terminal` (a clock, a slow disk, a journal opener).
    """
    config = parse_config(bench_config(folder, sb.http_url, sb.ws_url), path=folder / "t.toml")
    peripherals = WatchedPeripherals.from_config(config)
    assert isinstance(peripherals, WatchedPeripherals)  # from_config builds its own class
    screens: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
    peripherals.screens = screens
    terminal = Terminal(config, peripherals, **options)
    runner = asyncio.get_running_loop().create_task(terminal.run())
    try:
        yield terminal, screens
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
