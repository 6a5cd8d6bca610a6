"""Reading a QR code off a frame the way a phone camera would see the panel."""

from __future__ import annotations

import zxingcpp
from PIL import Image, ImageFilter


def as_camera_sees(frame: Image.Image) -> Image.Image:
    """The panel in a dark bezel, 4x magnified, blurred by half a panel pixel."""
    grey = frame.convert("L")
    bezel = Image.new("L", (grey.width + 40, grey.height + 40), 0)
    bezel.paste(grey, (20, 20))
    big = bezel.resize((bezel.width * 4, bezel.height * 4), Image.Resampling.NEAREST)
    return big.filter(ImageFilter.GaussianBlur(2))


def read_qr(frame: Image.Image) -> str | None:
    """The text of the QR code on ``frame``, or None when a camera would read none."""
    results = zxingcpp.read_barcodes(as_camera_sees(frame))
    return results[0].text if results else None
