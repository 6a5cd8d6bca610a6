"""The till menu's screens: the admin PIN (dots, never digits) and a menu page. Pure."""

from __future__ import annotations

from typing import Protocol

from PIL import ImageDraw

from terminal.screens.draw import Palette, Sizes, centred, fit, font, line_height, printable
from terminal.screens.geometry import Geometry
from terminal.screens.labels import with_labels
from terminal.screens.model import PinEntry, TillMenu

# The dot drawn for each typed PIN digit, and for the empty field.
_DOT = "\u2022"
_EMPTY = "_ _ _ _"
# Below this height (a 128x64 panel) a page gives its title's room to its lines, and the PIN
# screen its title's and key hint's room to the guard's message.
_SHORT = 100


class Frame(Protocol):
    """What these drawers need of ``render``'s frame (kept there, so no import cycle)."""

    draw: ImageDraw.ImageDraw
    colours: Palette
    sizes: Sizes
    top: int
    geometry: Geometry

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    def title(self, y: int, text: str, fill: object) -> int: ...
    def text(self, y: int, text: str, fill: object, size: int | None = None) -> int: ...


def _footer(f: Frame, hint: str) -> int:
    """Draw ``hint`` on the bottom line (key roles named as this keypad labels them); its top."""
    if not hint:
        return f.height
    shown = with_labels(hint, f.geometry.keys)
    face = fit(f.draw, shown, f.width - 2, f.sizes.small, smallest=7)
    top = f.height - line_height(face)
    centred(f.draw, top, shown, face, f.colours.dim, f.width)
    return top


def draw_pin_entry(f: Frame, screen: PinEntry) -> None:
    """ "Admin PIN", a dot per digit typed, the guard's message, and the keys."""
    colour = f.colours.warn if screen.warn else f.colours.dim
    dots = " ".join(_DOT * screen.typed) if screen.typed else _EMPTY
    face = fit(f.draw, dots, f.width - 4, f.sizes.medium + 4)
    if f.height < _SHORT and screen.message:
        # No room for title, dots, message and hint: the message says more than the title.
        y = f.text(f.top + 1, screen.message, colour)
        centred(f.draw, y, dots, face, f.colours.text, f.width)
        return
    y = f.title(f.top + 1, "Admin PIN", f.colours.text)
    y = centred(f.draw, y + 1, dots, face, f.colours.text, f.width)
    bottom = _footer(f, "press OK to enter, press CANCEL to close")
    if screen.message and y < bottom:
        f.text(y + 1, screen.message, colour)


def draw_till_menu(f: Frame, screen: TillMenu) -> None:
    """The page's title, then its lines left-aligned (each shrunk to fit), while they fit."""
    y = f.top + 1 if f.height < _SHORT else f.title(f.top + 1, screen.title, f.colours.text)
    bottom = _footer(f, screen.keys)
    pitch = line_height(font(f.sizes.small))
    for line in screen.lines:
        if y + pitch > bottom:
            break  # a short panel shows the first lines; the figures come first
        shown = printable(line)
        face = fit(f.draw, shown, f.width - 4, f.sizes.small, smallest=7)
        f.draw.text((2, y), shown, font=face, fill=f.colours.text)
        y += pitch
