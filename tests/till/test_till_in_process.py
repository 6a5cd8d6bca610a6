"""The till on the real Terminal, in-process against the sandbox: a sale gets its receipt, the
menu opens only with the PIN and shows what the journal holds, its actions answer."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from terminal.admin_pin import hash_pin
from terminal.keys import Key
from terminal.sandbox import Sandbox
from terminal.screens.model import Idle, PinEntry, ShowInvoice, Success, TillMenu
from tests.money.rig import Rig, terminal_config

PIN = "409182"
AMOUNT = 2100


def till_rig(sandbox: Sandbox, folder: Path) -> Rig:
    pin_file = folder / "admin-pin"
    pin_file.write_text(hash_pin(PIN, n=2**10).text() + "\n")
    pin_file.chmod(0o600)
    config = terminal_config(
        sandbox,
        folder,
        admin={"pin_file": str(pin_file), "menu_timeout_seconds": 600},
        receipts={"printer": "folder", "folder": str(folder / "receipts")},
    )
    return Rig(sandbox, folder, config)


def type_pin(rig: Rig, pin: str) -> None:
    rig.press(*(Key.from_digit(int(d)) for d in pin), Key.OK)


def has_line(text: str) -> object:
    return lambda page: any(text in line for line in page.lines)


async def test_a_sale_a_receipt_and_the_menu_behind_the_pin(
    sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receipts = tmp_path / "receipts"
    async with till_rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        await rig.wait_for(lambda: any(receipts.glob("*.txt")), "the receipt")
        (printed,) = receipts.glob("*.txt")
        assert printed.name == f"0001-{sale.id}.txt"
        assert "2,100 sats" in printed.read_text()

        rig.press(Key.MENU)  # dismisses the success screen, as any key does
        await rig.screen(Idle)
        rig.press(Key.MENU)
        await rig.screen(PinEntry, lambda s: s.typed == 0)
        type_pin(rig, "000000")
        await rig.screen(PinEntry, lambda s: s.message.startswith("Wrong PIN"))
        assert not any(isinstance(s, TillMenu) for s in rig.screens)
        type_pin(rig, PIN)
        page = await rig.screen(TillMenu, has_line("1 paid of 1 sales"))
        assert f"{AMOUNT:,} sats forwarded" in page.lines
        assert "0 sats in flight" in page.lines

        rig.press(Key.D3)
        await rig.screen(TillMenu, has_line("No forward is waiting"))
        rig.press(Key.D4)
        await rig.screen(TillMenu, has_line("Receipt printed again"))
        assert (receipts / f"0002-{sale.id}-copy.txt").exists()
        rig.press(Key.D2)
        sales = await rig.screen(TillMenu, lambda s: s.title == "Last sales 1/1")
        assert sales.lines[0].endswith(f"{AMOUNT:,} forwarded")

        rig.press(Key.CANCEL)
        await rig.screen(Idle)
    assert len(list(receipts.glob("*.txt"))) == 2  # one receipt and one copy, no more
    assert PIN not in caplog.text
    assert "admin PIN refused" in caplog.text
