"""The capture display: every frame a numbered PNG, each file whole the moment it appears.

luma.emulator's ``capture`` saves straight to the final name, so anything watching the folder (the
end-to-end tests, an operator's ``feh`` or a screenshot script) can open a frame while it is half
written. This device writes each frame to a hidden ``.part`` file beside it and renames it into
place; a rename is atomic within one folder, so a reader sees no file or a complete one.
"""

from __future__ import annotations

import os
from pathlib import Path

from luma.emulator.device import capture
from PIL import Image


class AtomicCapture(capture):  # type: ignore[misc]  # luma ships no type information
    """``luma.emulator.device.capture`` with whole-file writes; same arguments."""

    def display(self, image: Image.Image) -> None:
        assert image.size == self.size
        self._last_image = image  # contrast() redraws the last frame, as the parent does
        self._count += 1
        target = Path(self._file_template.format(self._count))
        surface = self.to_surface(self.preprocess(image), alpha=self._contrast)
        part = target.with_name(f".{target.name}.part")
        with part.open("wb") as out:
            # A file object has no name to guess the format from: say it is a PNG.
            self._pygame.image.save(surface, out, "png")
        os.replace(part, target)
