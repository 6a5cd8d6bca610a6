"""The role's [admin] and [receipts]: a printer the role renders is one the terminal accepts, the
PIN file is named only when a hash is given, and the unit may reach the printer's device."""

from __future__ import annotations

from pathlib import Path

import yaml

from terminal.config import load_config
from tests.field.conftest import run_in_field_venv
from tests.field.test_inventory import render_inventory

HOSTS = {
    "usb-till": {
        "terminal_receipts_printer": "usb",
        "terminal_receipts_usb_vendor_id": 0x0416,
        "terminal_receipts_usb_product_id": 0x5011,
        "terminal_receipts_width": 48,
        "terminal_admin_menu_timeout_seconds": 90,
    },
    "serial-till": {
        "terminal_receipts_printer": "serial",
        "terminal_receipts_serial_device": "/dev/ttyUSB0",
        "terminal_receipts_serial_baudrate": 19200,
        "terminal_admin_pin_hash": "",  # no PIN: the menu stays shut
    },
}


def render(tmp_path: Path) -> dict[str, Path]:
    """terminal.toml of each host in HOSTS, rendered by the role's own template."""
    common = {
        "ansible_connection": "local",
        "terminal_wheel": "unused.whl",
        "terminal_blinkpos_key": "{{ vault_blinkpos_key }}",
        "terminal_merchant_username": "shop",
        "terminal_admin_pin_hash": "{{ vault_admin_pin_hash }}",
    }
    inventory = {"terminals": {"vars": common, "hosts": HOSTS}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    out = tmp_path / "rendered"
    out.mkdir()
    return render_inventory(tmp_path / "inventory.yml", out)


def test_printers_and_pins_render_as_the_terminal_reads_them(tmp_path: Path) -> None:
    files = render(tmp_path)
    usb = load_config(files["usb-till"])
    assert (usb.receipts.printer, usb.receipts.usb_vendor_id, usb.receipts.usb_product_id) == (
        "usb",
        0x0416,
        0x5011,
    )
    assert usb.receipts.width == 48
    assert usb.admin.pin is not None
    assert usb.admin.menu_timeout_seconds == 90.0
    serial = load_config(files["serial-till"])
    assert (serial.receipts.serial_device, serial.receipts.serial_baudrate) == (
        "/dev/ttyUSB0",
        19200,
    )
    assert serial.admin.pin is None
    assert 'pin_file = ""' in files["serial-till"].read_text()


def test_a_field_install_without_the_extra_refuses_a_printer_and_takes_no_printer(
    tmp_path: Path, field_venv: Path
) -> None:
    # The field lock has no python-escpos: a unit without a printer never needs it, and a unit
    # configured with one is refused with the advice (the role installs the extra first).
    files = render(tmp_path)
    done = run_in_field_venv(
        field_venv,
        ["blink-terminal", "check", "--offline", "--config", files["usb-till"]],
        tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "receipts.printer" in done.stderr
    assert "blink-terminal[receipts]" in done.stderr
    no_escpos = run_in_field_venv(field_venv, ["python", "-c", "import escpos"], tmp_path)
    assert no_escpos.returncode != 0
    menu = run_in_field_venv(
        field_venv,
        ["python", "-c", "import terminal.shell.runtime, sys; sys.exit('escpos' in sys.modules)"],
        tmp_path,
    )
    assert menu.returncode == 0, menu.stderr  # the runtime imports no printer driver by itself
