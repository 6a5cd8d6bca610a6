"""A panel drawn on a terminal with Unicode half-blocks, so a phone can scan the QR off a TTY.

Each character cell holds two panel pixels, one above the other (``▀`` ``▄`` ``█`` or a space).
Colours are set explicitly (white on black) so the picture is the same on light and dark
terminal themes: lit pixels are light, so QR modules stay dark on light, never inverted.
"""

from __future__ import annotations

from typing import IO

from PIL import Image

_GLYPHS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
_HOME = "\x1b[H"
_COLOURS = "\x1b[97;40m"
_RESET = "\x1b[0m"
# A pixel at least this bright (0..255) is lit.
_THRESHOLD = 128


def half_blocks(image: Image.Image, *, scale: int = 1) -> list[str]:
    """``image`` as lines of half-block characters; ``scale`` panel pixels per column."""
    grey = image.convert("L")
    if scale > 1:
        grey = grey.resize((grey.width // scale, grey.height // scale), Image.Resampling.BOX)
    width, height = grey.size
    pixels = grey.tobytes()

    def lit(x: int, y: int) -> bool:
        return y < height and pixels[y * width + x] >= _THRESHOLD

    return [
        "".join(_GLYPHS[(lit(x, y), lit(x, y + 1))] for x in range(width))
        for y in range(0, height, 2)
    ]


class TerminalDisplay:
    """A luma-like device that draws each frame on a text stream (a TTY)."""

    def __init__(self, width: int, height: int, *, stream: IO[str], scale: int = 1) -> None:
        self.width = width
        self.height = height
        self.mode = "RGB"
        self._stream = stream
        self._scale = scale
        self._hidden = False

    def display(self, image: Image.Image) -> None:
        """Draw ``image`` from the top-left of the terminal."""
        if self._hidden:
            return
        lines = half_blocks(image, scale=self._scale)
        self._stream.write(_HOME + _COLOURS + "\n".join(lines) + _RESET + "\n")
        self._stream.flush()

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
