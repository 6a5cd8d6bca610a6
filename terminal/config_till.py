"""The till's settings: ``[admin]`` (the PIN that guards the menu) and ``[receipts]`` (a printer).

Both tables are optional. Without ``[admin] pin_file`` the menu stays shut; without
``[receipts] printer`` nothing is printed and python-escpos is never imported. Documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from terminal.admin_pin import PinHash
from terminal.config_table import Table
from terminal.errors import ConfigError
from terminal.keyfile import read_key

PRINTERS = ("none", "usb", "serial", "folder")
_BAUD_RATES = (9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class AdminSettings:
    """The [admin] table: the admin PIN's hash (from a root-only file) and the menu's timeout."""

    pin: PinHash | None = None
    menu_timeout_seconds: float = 60.0


@dataclass(frozen=True)
class ReceiptSettings:
    """The [receipts] table: which printer prints a receipt for each forwarded sale."""

    printer: str = "none"  # none | usb | serial (ESC/POS, python-escpos) | folder (desktop)
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    serial_device: str = ""
    serial_baudrate: int = 9600
    folder: Path | None = None
    profile: str = ""  # python-escpos's printer profile, e.g. "TM-T20II"; "" its default
    width: int = 32  # characters per line: 32 on 58 mm paper, 42 or 48 on 80 mm

    @property
    def enabled(self) -> bool:
        """True when receipts are printed."""
        return self.printer != "none"


def admin_settings(table: Mapping[str, object], base_dir: Path) -> AdminSettings:
    """Read and check ``[admin]``; the PIN's hash comes from the file ``pin_file`` names."""
    t = Table("admin", table)
    pin_file = t.optional_str("pin_file")
    timeout = t.number("menu_timeout_seconds", 60.0, 10.0, 600.0)
    t.finish()
    if pin_file is None:
        return AdminSettings(None, timeout)
    # A credential like a key: a PIN's hash gives the PIN away to anyone who can try them all.
    secret = read_key("admin.pin_file", pin_file, name="admin PIN hash", base_dir=base_dir)
    return AdminSettings(PinHash.parse(secret.reveal(), "admin.pin_file"), timeout)


def receipt_settings(table: Mapping[str, object], base_dir: Path) -> ReceiptSettings:
    """Read and check ``[receipts]``: the settings the chosen printer needs, and only those."""
    t = Table("receipts", table)
    printer = t.choice("printer", "none", PRINTERS, fold_case=True)
    vendor = t.number("usb_vendor_id", 0, 0, 0xFFFF)
    product = t.number("usb_product_id", 0, 0, 0xFFFF)
    device = t.get("serial_device", str, "").strip()
    baudrate = t.get("serial_baudrate", int, 9600)
    folder_text = t.get("folder", str, "").strip()
    profile = t.get("profile", str, "").strip()
    width = t.number("width", 32, 24, 64)
    t.finish()
    if baudrate not in _BAUD_RATES:
        raise ConfigError(
            "receipts.serial_baudrate",
            f"{baudrate} is not a serial speed printers use",
            f"use one of {', '.join(map(str, _BAUD_RATES))} (the printer's self-test page says)",
        )
    if printer == "usb" and not (vendor and product):
        raise ConfigError(
            "receipts.usb_vendor_id",
            "a USB printer needs usb_vendor_id and usb_product_id",
            "read them with lsusb (ID vvvv:pppp), e.g. usb_vendor_id = 0x0416, "
            "usb_product_id = 0x5011",
        )
    if printer == "serial" and not device.startswith("/dev/"):
        raise ConfigError(
            "receipts.serial_device",
            "a serial printer needs its device",
            'write e.g. serial_device = "/dev/ttyUSB0"',
        )
    if printer in ("usb", "serial") and importlib.util.find_spec("escpos") is None:
        raise ConfigError(
            "receipts.printer",
            f"{printer!r} needs python-escpos, which is not installed",
            "install the receipts extra: pip install 'blink-terminal[receipts]'",
        )
    folder: Path | None = None
    if printer == "folder":
        if not folder_text:
            raise ConfigError(
                "receipts.folder",
                "the folder printer needs a folder to write receipts into",
                'write e.g. folder = "receipts" (beside this file)',
            )
        folder = Path(folder_text) if Path(folder_text).is_absolute() else base_dir / folder_text
    return ReceiptSettings(printer, vendor, product, device, baudrate, folder, profile, width)
