"""Putting a receipt on paper (ESC/POS through python-escpos) or into a folder (the desktop).

Both print on the calling thread and may block (a USB write, a slow serial line): the desk calls
them on a thread of its own. python-escpos is imported only when a USB or serial printer is
configured, so a field install without a printer never needs it (the ``receipts`` extra).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw

from terminal.config_till import ReceiptSettings
from terminal.errors import HardwareError
from terminal.receipts.layout import Receipt, body, text
from terminal.screens.draw import font, line_height

log = logging.getLogger(__name__)

INSTALL_HINT = "install the receipts extra: pip install 'blink-terminal[receipts]'"
# A 58 mm printer's dots per line at 203 dpi: the PNG is what the paper would look like.
PAPER_DOTS = 384


class Printer(Protocol):
    """Something that prints one receipt, blocking until it is out; HardwareError if it cannot."""

    def print_receipt(self, receipt: Receipt) -> None: ...


class FolderPrinter:
    """The desktop's stand-in: each receipt becomes ``NNNN-<sale>.txt`` and a ``.png`` beside it."""

    def __init__(self, folder: Path, width: int = 32) -> None:
        self.folder = folder
        self.width = width

    def print_receipt(self, receipt: Receipt) -> None:
        """Write the receipt's text and picture into the folder (numbered, never overwritten)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = self._next_stem(receipt)
            content = text(receipt, self.width)
            (self.folder / f"{stem}.txt").write_text(content, encoding="utf-8")
            _picture(content).save(self.folder / f"{stem}.png")
        except OSError as exc:
            raise HardwareError(
                f"cannot write a receipt into {self.folder} ({exc.strerror}): check "
                "receipts.folder and that the terminal may write there"
            ) from exc

    def _next_stem(self, receipt: Receipt) -> str:
        number = len(list(self.folder.glob("*.txt"))) + 1
        copy = "-copy" if receipt.copy else ""
        return f"{number:04d}-{receipt.sale_id}{copy}"


def _picture(content: str) -> Image.Image:
    face = font(20)
    lines = content.splitlines()
    pitch = line_height(face)
    image = Image.new("L", (PAPER_DOTS, pitch * len(lines) + 16), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((8, 8 + row * pitch), line, font=face, fill=0)
    return image


class EscposPrinter:
    """An ESC/POS printer: ``open_device`` returns a python-escpos printer, opened.

    Each receipt opens the device, prints and closes it, so a printer switched off and on
    again, or plugged back in, works for the next receipt without a restart.
    """

    def __init__(self, open_device: Callable[[], Any], width: int = 32) -> None:
        self._open_device = open_device
        self.width = width

    def print_receipt(self, receipt: Receipt) -> None:
        """Print the receipt and cut the paper."""
        device = self._open()
        try:
            device.set_with_default(align="center", bold=True, double_height=True)
            device.textln(receipt.shop)
            device.set_with_default(align="left")
            for line in body(receipt, self.width):
                device.textln(line)
            device.cut()
        except Exception as exc:  # python-escpos, pyusb and pyserial each have their own tree
            raise HardwareError(f"the receipt printer failed: {exc}") from exc
        finally:
            _close(device)

    def _open(self) -> Any:
        try:
            return self._open_device()
        except HardwareError:
            raise
        except Exception as exc:  # DeviceNotFoundError, USBError, SerialException, OSError
            raise HardwareError(
                f"the receipt printer cannot be opened ({exc}): check that it is on, plugged "
                "in and configured in [receipts]"
            ) from exc


def _close(device: Any) -> None:
    try:
        device.close()
    except Exception as exc:  # a printer unplugged mid-receipt: nothing left to release
        log.debug("closing the receipt printer: %s", exc)


def open_printer(settings: ReceiptSettings) -> Printer | None:
    """The printer ``settings`` name (None: no receipts); HardwareError if it cannot be made."""
    match settings.printer:
        case "folder":
            assert settings.folder is not None
            return FolderPrinter(settings.folder, settings.width)
        case "usb" | "serial":
            return EscposPrinter(_escpos_opener(settings), settings.width)
    return None


def _escpos_opener(settings: ReceiptSettings) -> Callable[[], Any]:
    try:
        from escpos import printer as escpos_printer
    except ImportError as exc:
        raise HardwareError(
            f"receipts.printer = {settings.printer!r} needs python-escpos: {INSTALL_HINT}"
        ) from exc
    profile = settings.profile or None

    def open_usb() -> Any:
        device = escpos_printer.Usb(
            settings.usb_vendor_id, settings.usb_product_id, timeout=5000, profile=profile
        )
        device.open()
        return device

    def open_serial() -> Any:
        if not os.path.exists(settings.serial_device):
            raise HardwareError(
                f"no serial printer at {settings.serial_device}: check receipts.serial_device "
                "and the cable"
            )
        device = escpos_printer.Serial(
            settings.serial_device, baudrate=settings.serial_baudrate, timeout=5, profile=profile
        )
        device.open()
        return device

    return open_usb if settings.printer == "usb" else open_serial
