"""Invoice QR codes laid out for a small panel: pure, no I/O.

Rules (HARDWARE-NOTES §2): the payload is ``LIGHTNING:`` + the invoice in upper case, so segno
picks alphanumeric mode (about a quarter fewer modules than byte mode); error level M unless L
buys a larger module on this panel; the largest whole number of pixels per module (a blurred
half-pixel edge is what makes phones fail); a light quiet zone of 4 modules (ISO/IEC 18004) where
the panel has room for it at that module size, never fewer than 2; dark modules on light, never
inverted (many phone scanners cannot read inverted).

Why the quiet zone may be less than 4 modules: a 128x128 panel shows a typical invoice (version
10, 57 modules) at 2 px per module in 114 px, which leaves room for 3 modules each side; 4 would
need 130 px, so only 1 px per module, which phones do not read (HARDWARE-NOTES §2). Module size
wins. 2 modules were measured enough for zxing-cpp and zbar even with a black bezel right outside,
and the panel around the QR is unlit, never patterned; tests/screens/test_qr.py decodes every such
layout the way a camera sees it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import segno
from PIL import Image

from terminal.errors import TerminalError

MIN_QUIET = 2
MAX_QUIET = 4
DARK = 0
LIGHT = 255


class QrDoesNotFit(TerminalError):
    """The invoice is too long for this panel even at 1 px per module with error level L."""


@dataclass(frozen=True)
class QrLayout:
    """A QR rendered for a box: ``image`` is mode "L", square, quiet zone included.

    Layouts are cached and shared (see :func:`layout`): copy ``image`` before changing it.
    """

    image: Image.Image
    version: int
    error: str  # "M" or "L"
    scale: int  # display pixels per module
    quiet: int  # quiet-zone width in modules
    modules: int  # modules per side, without the quiet zone

    @property
    def side(self) -> int:
        """Pixels per side, quiet zone included."""
        return self.image.width


def payload(payment_request: str) -> str:
    """The text a wallet expects: the BIP-21-style scheme and the invoice, upper-cased."""
    return "LIGHTNING:" + payment_request.strip().upper()


@functools.lru_cache(maxsize=8)
def _encode(text: str, error: str, mask: int | None = None) -> segno.QRCode:
    # Cached: the invoice screen is redrawn every second for its countdown, and encoding
    # (mask selection) is the costly part: ~9 ms on x86, ~50 ms on a Pi Zero 2 W. A fixed
    # ``mask`` skips the selection (a fifth of the time): used only to learn a symbol's size.
    # boost_error=False: the level we report must be the level we chose.
    return segno.make(text, error=error, micro=False, boost_error=False, mask=mask)


def _modules(code: segno.QRCode) -> int:
    return int(code.symbol_size(border=0)[0])


def _scale_for(modules: int, side: int) -> int:
    return side // (modules + 2 * MIN_QUIET)


@functools.lru_cache(maxsize=8)
def layout(payment_request: str, width: int, height: int) -> QrLayout:
    """The largest crisp QR of ``payment_request`` that fits a ``width`` x ``height`` box."""
    # Cached: the countdown redraws the invoice screen every second and each frame asks for
    # two or three boxes (full panel, then with a caption strip); the answer never changes.
    return layout_text(payload(payment_request), width, height)


def layout_text(text: str, width: int, height: int) -> QrLayout:
    """The largest crisp QR of ``text`` (upper case for alphanumeric mode) in the box."""
    side = min(width, height)
    try:
        code = _encode(text, "M")
    except segno.DataOverflowError as exc:
        raise QrDoesNotFit("the invoice is too long for any QR code; use a shorter memo") from exc
    scale = _scale_for(_modules(code), side)
    # L only if it buys a larger module (M wins ties: more error correction at the same module
    # size is free robustness). Its size does not depend on the mask, so a fixed-mask encoding
    # tells it at a fifth of the cost; only a winning L is encoded with its mask chosen. The
    # layout is the same as encoding both levels in full, and this runs on the display thread
    # holding the GIL, so every millisecond saved is one the event loop does not wait.
    if _scale_for(_modules(_encode(text, "L", 0)), side) > scale:
        code = _encode(text, "L")
        scale = _scale_for(_modules(code), side)
    if scale < 1:
        raise QrDoesNotFit(
            f"the invoice needs a QR larger than {side} px; use a shorter memo or a larger panel"
        )
    modules = _modules(code)
    # The scale was chosen with the minimum zone; the zone then takes what room is left, up to 4.
    quiet = min(MAX_QUIET, (side // scale - modules) // 2)
    return QrLayout(
        image=_draw(code, modules, scale, quiet),
        version=int(code.version),
        error=str(code.error).upper(),
        scale=scale,
        quiet=quiet,
        modules=modules,
    )


def _draw(code: segno.QRCode, modules: int, scale: int, quiet: int) -> Image.Image:
    data = bytes(DARK if bit else LIGHT for row in code.matrix for bit in row)
    symbol = Image.frombytes("L", (modules, modules), data)
    symbol = symbol.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    side = (modules + 2 * quiet) * scale
    image = Image.new("L", (side, side), LIGHT)
    image.paste(symbol, (quiet * scale, quiet * scale))
    return image
