"""The real terminal in a benchmark's own process: a config for a sandbox, watched screens."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from PIL import Image

from hardware.display import Display
from terminal.config import parse_config
from terminal.screens.model import View
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal

STEP_TIMEOUT = 30.0  # a sale step that takes longer than this means the bench is broken

Screens = asyncio.Queue[tuple[float, Any]]


class _TimedDisplay:
    """The real display, noting on the display thread when each frame is on the glass."""

    def __init__(self, inner: Display, drawn: Callable[[float, Any], None]) -> None:
        self._inner = inner
        self._drawn = drawn
        self.width, self.height, self.mode = inner.width, inner.height, inner.mode
        self.screen: Any = None  # what the worker is rendering (set on the display thread)

    def display(self, image: Image.Image) -> None:
        """Draw, then note the time and the screen it showed."""
        self._inner.display(image)
        self._drawn(time.monotonic(), self.screen)

    def show(self) -> None:
        """Panel on."""
        self._inner.show()

    def hide(self) -> None:
        """Panel off."""
        self._inner.hide()

    def cleanup(self) -> None:
        """Release the panel."""
        self._inner.cleanup()


class WatchedPeripherals(Peripherals):
    """The real peripherals, noting when each screen is handed to the display and drawn."""

    screens: Screens  # handed to the display (on the loop)
    frames: Screens  # drawn by the display thread (passed to the loop)
    loop: asyncio.AbstractEventLoop

    def __init__(self, display: Display, *args: Any, **kwargs: Any) -> None:
        self._timed = _TimedDisplay(display, self._drawn)
        super().__init__(self._timed, *args, **kwargs)

    def _drawn(self, at: float, screen: Any) -> None:
        # On the display thread: the loop's queue may only be touched from the loop, and the
        # last frame (the closing screen) may come after the benchmark's loop has ended.
        loop = getattr(self, "loop", None)
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.frames.put_nowait, (at, screen))

    def show_view(self, view: View) -> None:
        """Note the screen and its time, then draw as usual."""
        self.screens.put_nowait((time.monotonic(), view.screen))
        super().show_view(view)

    def _render(self, view: View) -> Any:
        self._timed.screen = view.screen  # the display thread renders, then draws this screen
        return super()._render(view)


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


async def next_screen(screens: Screens, kind: type) -> tuple[float, Any]:
    """The next screen of ``kind`` handed to the display, and when."""
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            at, screen = await screens.get()
            if isinstance(screen, kind):
                return at, screen


async def drawn(frames: Screens, screen: Any) -> float:
    """When the display thread finished drawing ``screen`` (this very screen, not an older one
    of its kind: the countdown redraws an invoice screen every second)."""
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            at, shown = await frames.get()
            if shown is screen:
                return at


@contextlib.asynccontextmanager
async def running_terminal(
    sb: Any, folder: Path, **options: Any
) -> AsyncIterator[tuple[Terminal, Screens, WatchedPeripherals]]:
    """The real terminal running on this loop against ``sb``; its screens as they are shown.

    ``options`` go to :class:`Terminal` (a clock, a slow disk, a journal opener).
    """
    config = parse_config(bench_config(folder, sb.http_url, sb.ws_url), path=folder / "t.toml")
    peripherals = WatchedPeripherals.from_config(config)
    assert isinstance(peripherals, WatchedPeripherals)  # from_config builds its own class
    screens: Screens = asyncio.Queue()
    peripherals.screens = screens
    peripherals.frames = asyncio.Queue()
    peripherals.loop = asyncio.get_running_loop()
    terminal = Terminal(config, peripherals, **options)
    runner = asyncio.get_running_loop().create_task(terminal.run())
    try:
        yield terminal, screens, peripherals
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
