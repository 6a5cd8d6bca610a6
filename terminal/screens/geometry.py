"""The shape of a panel as the screens see it: size, colour mode, and whether a QR is scannable."""

from __future__ import annotations

from dataclasses import dataclass, field

from terminal.screens.labels import KEYPAD_4X4, KeyLabels

# Below this many pixels on the short side, a BOLT11 QR only fits at 1 px per module, which
# phones do not read reliably (HARDWARE-NOTES §2: 128x64 decodes only with perfect focus).
MIN_QR_SIDE = 128


@dataclass(frozen=True)
class Geometry:
    """A panel: ``mode`` is the PIL mode of its frames ("1", "L" or "RGB").

    ``keys`` names the keys of the keypad beside it, for the screens' hints (``#`` on a matrix
    pad, Enter on the desktop): the keypad driver chooses them (``Keypad.labels``).
    """

    width: int
    height: int
    mode: str
    qr_capable: bool
    keys: KeyLabels = field(default=KEYPAD_4X4)

    @classmethod
    def for_panel(
        cls, width: int, height: int, mode: str, *, qr: bool = True, keys: KeyLabels = KEYPAD_4X4
    ) -> Geometry:
        """The geometry of a ``width`` x ``height`` panel; QR only if asked for and big enough."""
        return cls(width, height, mode, min(width, height) >= MIN_QR_SIDE and qr, keys)


def qr_warning(geometry: Geometry) -> str | None:
    """A start-up warning when invoices on this panel will be text-only, else None."""
    if geometry.qr_capable:
        return None
    return (
        f"the {geometry.width}x{geometry.height} panel cannot show a scannable invoice QR: "
        "invoices are shown as text only; fit a 128x128 (ssd1351, ssd1327) or 240x240 (st7789) "
        "panel to take payments by scanning"
    )


# The panels the terminal supports, as their luma devices report them.
SSD1351 = Geometry(128, 128, "RGB", qr_capable=True)
SSD1327 = Geometry(128, 128, "L", qr_capable=True)
OLED_128X64 = Geometry(128, 64, "1", qr_capable=False)
ST7789 = Geometry(240, 240, "RGB", qr_capable=True)
ALL_GEOMETRIES = (SSD1351, SSD1327, OLED_128X64, ST7789)
