"""A panel drawn on a terminal with Unicode half-blocks, so a phone can scan the QR off a TTY.

Each character cell holds two panel pixels, one above the other (``▀`` ``▄`` ``█`` or a space).
Colours are set explicitly (white on black) so the picture is the same on light and dark
terminal themes: lit pixels are light, so QR modules stay dark on light, never inverted.

A picture wider or taller than the window would wrap into garbage, so every frame checks the
window: if it is too small the panel is drawn scaled down (2, 3 or 4 panel pixels per column,
with a note that the QR may then not scan), and if even that does not fit, a message says which
window size is needed instead of the picture.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import IO

from PIL import Image

_GLYPHS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
_HOME = "\x1b[H"
_CLEAR = "\x1b[2J"
MAX_SCALE = 4
Window = Callable[[], tuple[int, int] | None]
_COLOURS = "\x1b[97;40m"
_RESET = "\x1b[0m"
# A pixel at least this bright (0..255) is lit.
_THRESHOLD = 128


def half_blocks(image: Image.Image, *, scale: int = 1) -> list[str]:
    """``image`` as lines of half-block characters; ``scale`` panel pixels per column."""
    grey = image.convert("L")
    if scale > 1:
        # NEAREST, not an average: a QR module of a whole number of scales stays one clean
        # sample wherever the QR sits, where averaging would turn straddled modules grey.
        grey = grey.resize((grey.width // scale, grey.height // scale), Image.Resampling.NEAREST)
    width, height = grey.size
    pixels = grey.tobytes()

    def lit(x: int, y: int) -> bool:
        return y < height and pixels[y * width + x] >= _THRESHOLD

    return [
        "".join(_GLYPHS[(lit(x, y), lit(x, y + 1))] for x in range(width))
        for y in range(0, height, 2)
    ]


def window_of(stream: IO[str]) -> Window:
    """The (columns, lines) of the terminal ``stream`` writes to; None when it is not one."""

    def size() -> tuple[int, int] | None:
        try:
            columns, lines = os.get_terminal_size(stream.fileno())
        except (OSError, ValueError, AttributeError):  # a pipe, a file, a StringIO
            return None
        return columns, lines

    return size


def needed(width: int, height: int, scale: int) -> tuple[int, int]:
    """The window (columns, lines) a panel drawn at ``scale`` needs: the picture and a line."""
    return math.ceil(width / scale), math.ceil(height / scale / 2) + 1


class TerminalDisplay:
    """A luma-like device that draws each frame on a text stream (a TTY)."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        stream: IO[str],
        scale: int = 1,
        window: Window | None = None,
    ) -> None:
        self.width = width
        self.height = height
        self.mode = "RGB"
        self._stream = stream
        self._scale = scale
        self._window = window if window is not None else window_of(stream)
        self._drawn: int | None = None  # the scale of the picture on screen; 0: the message
        self._hidden = False

    def _fitting_scale(self, columns: int, lines: int) -> int | None:
        for scale in range(self._scale, MAX_SCALE + 1):
            want_columns, want_lines = needed(self.width, self.height, scale)
            if scale != self._scale:
                want_lines += 1  # the note under a scaled-down picture
            if want_columns <= columns and want_lines <= lines:
                return scale
        return None

    def display(self, image: Image.Image) -> None:
        """Draw ``image`` from the top-left of the terminal, scaled down if the window is small."""
        if self._hidden:
            return
        window = self._window()
        scale: int | None = self._scale
        if window is not None:
            scale = self._fitting_scale(*window)
        clear = _CLEAR if (scale or 0) != self._drawn else ""
        self._drawn = scale or 0
        if scale is None:
            assert window is not None
            self._stream.write(_RESET + clear + _HOME + self._too_small(*window) + "\n")
            self._stream.flush()
            return
        text = "\n".join(half_blocks(image, scale=scale))
        if scale != self._scale:
            columns, lines = needed(self.width, self.height, self._scale)
            text += (
                _RESET
                + f"\nscaled 1/{scale} to fit: the QR may not scan; use a {columns}x{lines} window"
            )
        self._stream.write(clear + _HOME + _COLOURS + text + _RESET + "\n")
        self._stream.flush()

    def _too_small(self, columns: int, lines: int) -> str:
        sharp = "x".join(map(str, needed(self.width, self.height, self._scale)))
        least = "x".join(map(str, needed(self.width, self.height, MAX_SCALE)))
        return (
            f"The {self.width}x{self.height} panel needs a {sharp} character window to show a "
            f"scannable QR (at least {least}); this one is {columns}x{lines}. Enlarge it or make "
            "the font smaller: the picture comes back with the next change on screen. "
            "(Or run the demo with --display capture.)"
        )

    def show(self) -> None:
        """Wake the panel (frames are drawn again)."""
        self._hidden = False

    def hide(self) -> None:
        """Sleep the panel (frames are dropped)."""
        self._hidden = True

    def cleanup(self) -> None:
        """Leave the terminal's colours as they were."""
        self._stream.write(_RESET)
        self._stream.flush()
