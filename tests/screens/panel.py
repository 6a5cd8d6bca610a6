"""Frames as a panel shows them: through luma's dummy device."""

from __future__ import annotations

from luma.core.device import dummy
from PIL import Image

from terminal.screens.geometry import Geometry


def on_panel(image: Image.Image, geometry: Geometry) -> Image.Image:
    """``image`` after a luma device of ``geometry``'s size took it ("1" or "RGB" frames)."""
    # luma devices take "1" or "RGB" frames; a grey panel (ssd1327) is fed RGB, as on a Pi.
    mode = "1" if geometry.mode == "1" else "RGB"
    device = dummy(width=geometry.width, height=geometry.height, mode=mode)
    device.display(image.convert(mode))
    return device.image  # type: ignore[no-any-return]
