"""Desktop keys from the terminal (cbreak mode on a TTY, so no Enter is needed) or a pipe.

Key map: ``0``-``9`` digits; Enter OK; Backspace BACK; Esc or ``c`` CANCEL; ``r`` RECONNECT;
``m`` MENU (the till menu, behind the admin PIN).
Every other character arrives as :class:`hardware.keypad.Unmapped` (the desktop demo uses
``p`` as "the customer pays"). A reader thread blocks on the stream and enters the loop only
through ``call_soon_threadsafe``. End of input ends :meth:`StdinKeypad.keys`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator
from typing import Any, TextIO

from hardware.keypad import KeyPress, KeyRows, Unmapped
from terminal.keys import Key
from terminal.screens.labels import DESKTOP, KeyLabels

log = logging.getLogger(__name__)

_CHARS: dict[str, Key] = {
    "\r": Key.OK,
    "\n": Key.OK,
    "\x7f": Key.BACK,
    "\b": Key.BACK,
    "\x1b": Key.CANCEL,
    "c": Key.CANCEL,
    "C": Key.CANCEL,
    "r": Key.RECONNECT,
    "R": Key.RECONNECT,
    "m": Key.MENU,
    "M": Key.MENU,
}


def map_char(char: str) -> KeyPress:
    """The key one typed character stands for."""
    if char.isdigit() and char.isascii():
        return Key.from_digit(int(char))
    return _CHARS.get(char, Unmapped(char))


# The keys the terminal uses, laid out like a keypad for the self-test.
_ROWS = ("123", "456", "789", ("\x1b", "0", "\r"), ("\x7f", "r", "m"))
_NAMES = {"\x1b": DESKTOP.cancel, "\r": DESKTOP.ok, "\x7f": DESKTOP.back}


class StdinKeypad:
    """Keys typed on ``stream`` (default: stdin)."""

    labels: KeyLabels = DESKTOP

    def key_rows(self) -> KeyRows:
        """Digits, Esc, Enter, Backspace, r and m: the keys the terminal listens to."""
        return tuple(tuple((_NAMES.get(c, c), map_char(c)) for c in row) for row in _ROWS)

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._saved_tty: list[Any] | None = None
        self._thread: threading.Thread | None = None

    def _enter_cbreak(self) -> None:
        # cbreak, not raw: Ctrl-C must still stop the terminal.
        try:
            if not self._stream.isatty():
                return
            import termios
            import tty

            fd = self._stream.fileno()
            self._saved_tty = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except (OSError, ValueError) as exc:
            log.warning(
                "cannot switch the terminal to single-key input (%s); end keys with Enter", exc
            )

    async def keys(self) -> AsyncIterator[KeyPress]:
        """Key presses until the input ends."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[KeyPress | None] = asyncio.Queue()
        self._enter_cbreak()

        def read() -> None:  # the reader thread
            try:
                while char := self._stream.read(1):
                    loop.call_soon_threadsafe(queue.put_nowait, map_char(char))
            except (OSError, ValueError) as exc:
                log.warning("key input stopped: %s", exc)
            finally:
                with contextlib.suppress(RuntimeError):  # the loop may be closed already
                    loop.call_soon_threadsafe(queue.put_nowait, None)

        self._thread = threading.Thread(target=read, name="stdin-keys", daemon=True)
        self._thread.start()
        while (press := await queue.get()) is not None:
            yield press

    def close(self) -> None:
        """Give the terminal back its line mode."""
        if self._saved_tty is None:
            return
        import termios

        with contextlib.suppress(OSError, ValueError):
            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved_tty)
        self._saved_tty = None
