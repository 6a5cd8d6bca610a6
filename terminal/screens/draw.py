"""Drawing helpers shared by the screens: palette, fonts, text wrapping, the status bar."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from terminal.links import LinkState
from terminal.screens.geometry import Geometry
from terminal.screens.model import Battery, Status

Colour = int | tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Palette:
    """Colours for one panel mode; monochrome panels get white for every accent."""

    background: Colour
    text: Colour
    dim: Colour
    ok: Colour
    warn: Colour
    bad: Colour
    light: Colour  # the QR's light modules and quiet zone


def palette(mode: str) -> Palette:
    """The palette for a PIL image mode ("1", "L" or "RGB")."""
    if mode == "RGB":
        return Palette(
            background=(0, 0, 0),
            text=(255, 255, 255),
            dim=(150, 150, 150),
            ok=(40, 220, 100),
            warn=(255, 180, 0),
            bad=(255, 80, 60),
            light=(255, 255, 255),
        )
    # Greys below ~128 vanish on a 1-bit panel, so accents stay full white there.
    dim = 170 if mode == "L" else 255
    return Palette(0, 255, dim, 255, 255, 255, 255)


# DejaVu Sans, bundled (terminal/screens/fonts/LICENSE): shop names are typed in every script,
# and Pillow's built-in font draws only ASCII. It covers Latin (Latin-1 and Extended), Greek,
# Cyrillic, Armenian, Georgian and more, is hinted for small sizes (legible at 10 px on a 1-bit
# panel) and costs 0.7 MB. CJK is not covered: its glyphs need ~12 px and a 10+ MB font, which a
# 128 px panel cannot use well; such characters are drawn as "?" (see printable()).
FONT_FILE = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"


# Each size is a FreeType face with its own mapping of the font file: about 0.35 MB of RSS a
# size. A panel's screens use about ten sizes (see fit()); the cap keeps a long life bounded.
@functools.lru_cache(maxsize=16)
def font(size: int) -> Font:
    """The bundled DejaVu Sans at ``size`` px."""
    return ImageFont.truetype(str(FONT_FILE), size)


@dataclass(frozen=True)
class Sizes:
    """Font sizes that suit a panel."""

    small: int
    medium: int
    large: int
    bar: int  # status bar height


def sizes(geometry: Geometry) -> Sizes:
    """Font sizes scaled to the panel's short side."""
    if geometry.width >= 200 and geometry.height >= 200:
        return Sizes(small=18, medium=26, large=52, bar=24)
    if geometry.height < 100:
        return Sizes(small=10, medium=12, large=22, bar=11)
    return Sizes(small=10, medium=14, large=28, bar=12)


def canvas(geometry: Geometry) -> tuple[Image.Image, ImageDraw.ImageDraw, Palette]:
    """A blank frame for ``geometry`` with its drawing context and palette."""
    colours = palette(geometry.mode)
    image = Image.new(geometry.mode, (geometry.width, geometry.height), colours.background)
    return image, ImageDraw.Draw(image), colours


@functools.lru_cache(maxsize=1)
def _missing_glyph() -> bytes:
    # What the font draws for a character it has no glyph for (its .notdef box).
    return bytes(font(16).getmask("\ue000"))


@functools.lru_cache(maxsize=4096)
def drawable(char: str) -> bool:
    """True if the bundled font has a glyph for ``char`` (spaces and newlines count)."""
    if char in " \n":
        return True
    return char.isprintable() and bytes(font(16).getmask(char)) != _missing_glyph()


def in_mode(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in a panel's mode; no dithering, so QR modules and text stay crisp on 1 bit."""
    if mode == "1":
        return image.convert("1", dither=Image.Dither.NONE)
    return image.convert(mode)


def printable(text: str) -> str:
    """``text`` as the font can draw it: composed (NFC); others folded ("ﬁ" -> "fi") or "?"."""
    shown = []
    for char in unicodedata.normalize("NFC", text):
        if drawable(char):
            shown.append(char)
            continue
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        shown.append(folded if folded and all(map(drawable, folded)) else "?")
    return "".join(shown)


def text_width(draw: ImageDraw.ImageDraw, text: str, face: Font) -> float:
    """How wide ``text`` is in ``face``, in pixels."""
    return draw.textlength(text, font=face)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (long words are cut)."""
    lines: list[str] = []
    for paragraph in printable(text).splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if text_width(draw, candidate, face) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            rest = word
            while text_width(draw, rest, face) > width and len(rest) > 1:
                cut = len(rest)
                while cut > 1 and text_width(draw, rest[:cut], face) > width:
                    cut -= 1
                lines.append(rest[:cut])
                rest = rest[cut:]
            line = rest
        lines.append(line)
    return lines


# Sizes above the proportional estimate that fit() still tries: hinting rounds each glyph's
# advance, so a small size can be a little wider than its share of a large one.
FIT_MARGIN = 2


def fit(draw: ImageDraw.ImageDraw, text: str, width: int, largest: int, smallest: int = 8) -> Font:
    """The largest built-in font between ``largest`` and ``smallest`` px that fits ``width``."""
    shown = printable(text)
    face = font(largest)
    full = text_width(draw, shown, face)
    if full <= width:
        return face
    # Widths grow in proportion to the size, so the width at ``largest`` tells roughly which
    # size fits: start just above that instead of opening every size on the way down (a long
    # amount on a 240x240 panel would open twenty faces, seven megabytes of RSS).
    start = min(largest - 1, int(largest * width / full) + FIT_MARGIN)
    for size in range(start, smallest - 1, -1):
        face = font(size)
        if text_width(draw, shown, face) <= width:
            return face
    return font(smallest)


def centred(
    draw: ImageDraw.ImageDraw, y: int, text: str, face: Font, fill: Colour, width: int
) -> int:
    """Draw one line centred horizontally at ``y``; return the y below it."""
    text = printable(text)
    x = (width - text_width(draw, text, face)) / 2
    draw.text((x, y), text, font=face, fill=fill)
    return y + line_height(face)


def paragraph(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    face: Font,
    fill: Colour,
    width: int,
    *,
    bottom: int,
) -> int:
    """Draw wrapped, centred lines from ``y`` while they fit above ``bottom``; return the next y."""
    for line in wrap(draw, text, face, width - 4):
        if y + line_height(face) > bottom:
            break
        y = centred(draw, y, line, face, fill, width)
    return y


def line_height(face: Font) -> int:
    """A comfortable line pitch for ``face``."""
    size = getattr(face, "size", 10)
    return int(size * 1.15) + 1


def time_left(seconds: float) -> str:
    """Whole seconds left as m:ss (never negative)."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _link_icon(
    draw: ImageDraw.ImageDraw, x: int, y: int, d: int, state: LinkState, colours: Palette
) -> None:
    box = (x, y, x + d - 1, y + d - 1)
    if state is LinkState.UP:
        draw.ellipse(box, fill=colours.ok, outline=colours.ok)
    elif state in (LinkState.DEGRADED, LinkState.CONNECTING):
        draw.ellipse(box, outline=colours.warn)
        draw.pieslice(((x, y), (x + d - 1, y + d - 1)), 180, 360, fill=colours.warn)
    elif state in (LinkState.REJECTED, LinkState.FAULT):
        draw.line((x, y, x + d - 1, y + d - 1), fill=colours.bad, width=2)
        draw.line((x, y + d - 1, x + d - 1, y), fill=colours.bad, width=2)
    elif state is LinkState.DOWN:
        draw.ellipse(box, outline=colours.bad)
        draw.line((x, y + d - 1, x + d - 1, y), fill=colours.bad)
    else:  # OFF: a short dash, so the slot is visibly "not configured" rather than missing
        draw.line((x + 1, y + d // 2, x + d - 2, y + d // 2), fill=colours.dim)


def _battery_icon(
    draw: ImageDraw.ImageDraw,
    right: int,
    y: int,
    h: int,
    battery: Battery,
    colours: Palette,
    *,
    percent: bool = True,
) -> int:
    face = font(max(8, h - 1))
    mark = "!" if battery.low else ""
    label = mark + (f"{battery.percent}%" + ("+" if battery.charging else "") if percent else "")
    w = h * 2
    x = right - w
    draw.rectangle((x, y + 1, x + w - 3, y + h - 2), outline=colours.text)
    draw.rectangle((x + w - 2, y + h // 3, x + w - 1, y + h - h // 3 - 1), fill=colours.text)
    level = max(0, min(100, battery.percent))
    inner = (w - 6) * level // 100
    fill = colours.bad if level <= 15 or battery.low else colours.text
    if inner > 0:
        draw.rectangle((x + 2, y + 3, x + 2 + inner - 1, y + h - 4), fill=fill)
    tx = x - 2 - int(text_width(draw, label, face))
    draw.text((tx, y), label, font=face, fill=colours.bad if battery.low else colours.dim)
    return tx


def status_bar(
    draw: ImageDraw.ImageDraw, geometry: Geometry, status: Status, height: int, colours: Palette
) -> None:
    """The top bar: BlinkPOS and merchant link icons on the left, the battery on the right."""
    face = font(max(8, height - 2))
    d = max(6, height - 4)
    x = 1
    for label, state in (("POS", status.pos), ("M", status.merchant)):
        draw.text((x, 0), label, font=face, fill=colours.dim)
        x += int(text_width(draw, label, face)) + 2
        _link_icon(draw, x, (height - d) // 2, d, state, colours)
        x += d + 6
    right = geometry.width - 1
    if status.battery is not None:
        # Sats in flight take the percentage's room (no bar has room for both): the gauge
        # still shows the level, and the percentage returns once nothing is owed.
        percent = status.in_flight_sats == 0
        right = _battery_icon(
            draw, geometry.width - 1, 0, height, status.battery, colours, percent=percent
        )
        right -= 3
    if status.in_flight_sats > 0:
        _in_flight(draw, x, right, status.in_flight_sats, face, colours)
    draw.line((0, height, geometry.width - 1, height), fill=colours.dim)


def _in_flight(
    draw: ImageDraw.ImageDraw,
    left: int,
    right: int,
    sats: int,
    face: Font,
    colours: Palette,
) -> None:
    """The sats paid but not forwarded yet, right-aligned in the bar's free space, in words if
    they fit (a narrow panel with a battery gets "owed", or the bare number)."""
    amount = f"{sats:,}"
    for label in (f"{amount} in flight", f"{amount} owed", amount):
        width = int(text_width(draw, label, face))
        if right - width >= left:
            draw.text((right - width, 0), label, font=face, fill=colours.text)
            return
