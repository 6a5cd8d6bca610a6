"""[admin] and [receipts]: every mistake names the setting and the fix; the PIN's hash comes only
from an owner-only file, like a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.admin_pin import hash_pin
from terminal.config import load_config
from terminal.errors import ConfigError, SecretFileError
from tests.app.test_config import BASE, write

PIN = "736251"


def with_pin(folder: Path, *, mode: int = 0o600, line: str | None = None) -> None:
    pin_file = folder / "admin-pin"
    pin_file.write_text((line or hash_pin(PIN, n=2**10).text()) + "\n")
    pin_file.chmod(mode)


def test_without_the_tables_there_is_no_pin_and_no_printer(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.admin.pin is None
    assert config.admin.menu_timeout_seconds == 60.0
    assert not config.receipts.enabled


def test_the_pin_hash_is_read_from_its_file_and_never_shown(tmp_path: Path) -> None:
    with_pin(tmp_path)
    text = 'pin_file = "admin-pin"\nmenu_timeout_seconds = 45\n'
    config = load_config(write(tmp_path, BASE + "[admin]\n" + text))
    assert config.admin.pin is not None
    assert config.admin.pin.matches(PIN)
    assert config.admin.menu_timeout_seconds == 45.0
    line = (tmp_path / "admin-pin").read_text().strip()
    assert line.split("$")[-1] not in repr(config)


def test_a_pin_file_others_can_read_is_refused(tmp_path: Path) -> None:
    with_pin(tmp_path, mode=0o644)
    with pytest.raises(SecretFileError, match="chmod 600") as caught:
        load_config(write(tmp_path, BASE + '[admin]\npin_file = "admin-pin"\n'))
    assert caught.value.setting == "admin.pin_file"


def test_a_pin_file_without_a_hash_is_refused_without_showing_it(tmp_path: Path) -> None:
    with_pin(tmp_path, line="123456")  # a plain PIN where the hash belongs
    with pytest.raises(ConfigError, match="hash-pin") as caught:
        load_config(write(tmp_path, BASE + '[admin]\npin_file = "admin-pin"\n'))
    assert caught.value.setting == "admin.pin_file"
    assert "123456" not in str(caught.value)


@pytest.mark.parametrize(
    ("table", "setting", "fix"),
    [
        ("[admin]\nmenu_timeout_seconds = 5\n", "admin.menu_timeout_seconds", "between"),
        ("[admin]\npin = 1234\n", "admin.pin", "docs/configuration.md"),
        ('[receipts]\nprinter = "laser"\n', "receipts.printer", "usb, serial, folder"),
        ('[receipts]\nprinter = "usb"\n', "receipts.usb_vendor_id", "lsusb"),
        ('[receipts]\nprinter = "serial"\n', "receipts.serial_device", "/dev/ttyUSB0"),
        (
            '[receipts]\nprinter = "serial"\nserial_device = "/dev/ttyS0"\n'
            "serial_baudrate = 1234\n",
            "receipts.serial_baudrate",
            "9600",
        ),
        ('[receipts]\nprinter = "folder"\n', "receipts.folder", 'folder = "receipts"'),
        ("[receipts]\nwidth = 100\n", "receipts.width", "between 24 and 64"),
        ("[receipts]\nusb_vendor_id = 70000\n", "receipts.usb_vendor_id", "between"),
    ],
)
def test_a_wrong_setting_is_named_with_its_fix(
    tmp_path: Path, table: str, setting: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, BASE + table))
    assert caught.value.setting == setting
    assert fix in str(caught.value)


def test_each_printer_kind_loads_with_what_it_needs(tmp_path: Path) -> None:
    usb = load_config(
        write(
            tmp_path,
            BASE + '[receipts]\nprinter = "USB"\nusb_vendor_id = 0x0416\n'
            "usb_product_id = 0x5011\nwidth = 48\n",
        )
    )
    assert (usb.receipts.printer, usb.receipts.usb_vendor_id, usb.receipts.width) == (
        "usb",
        0x0416,
        48,
    )
    folder = load_config(write(tmp_path, BASE + '[receipts]\nprinter = "folder"\nfolder = "r"\n'))
    assert folder.receipts.folder == tmp_path / "r"
    assert folder.receipts.enabled


def test_check_says_whether_the_menu_has_its_pin_and_which_printer(tmp_path: Path) -> None:
    from terminal.checks import till_summary

    shut = load_config(write(tmp_path, BASE))
    assert till_summary(shut) == "till menu: no admin PIN: the menu stays shut; receipts: none"
    with_pin(tmp_path)
    table = '[admin]\npin_file = "admin-pin"\n[receipts]\nprinter = "folder"\nfolder = "r"\n'
    open_ = load_config(write(tmp_path, BASE + table))
    assert till_summary(open_) == "till menu: admin PIN set; receipts: folder"
