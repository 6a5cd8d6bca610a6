"""Receipts: what they say, the folder stand-in, the real ESC/POS driver against python-escpos's
Dummy printer, and the desk's rule: after the journal says forwarded, at most once per sale."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy
from PIL import Image

from terminal.errors import HardwareError
from terminal.money.journal import Journal
from terminal.money.sale import SaleState
from terminal.money.worker import JournalThread
from terminal.receipts.desk import ReceiptDesk
from terminal.receipts.layout import HASH_CHARS, Receipt, body, receipt_for, text
from terminal.receipts.printers import EscposPrinter, FolderPrinter
from terminal.till import FiatAmount
from tests.support.timing import scaled
from tests.till.sales import every_state

START = 1_700_000_000.0
SHOP = "Corner Café"
SALE_ID = "t0123456789-6555ab12-0123456789abcdef"
RECEIPT = Receipt(SHOP, SALE_ID, "2023-11-14 23:13:22 +01:00", 2100, "ab" * 8)


# --- what a receipt says ----------------------------------------------------------------------


@pytest.mark.parametrize("width", [24, 32, 48])
def test_every_line_fits_the_paper_and_the_sale_id_survives_whole(width: int) -> None:
    lines = body(RECEIPT, width)
    assert all(len(line) <= width for line in lines)
    assert SALE_ID in "".join(lines).replace(" ", "")
    assert any(line.startswith("Paid") and line.endswith("2,100 sats") for line in lines)
    assert f"hash {'ab' * 8}..." in lines
    assert "COPY" not in lines


def test_a_copy_says_so_and_the_shop_heads_the_text() -> None:
    copy = text(Receipt(**{**RECEIPT.__dict__, "copy": True}), 32)
    assert copy.splitlines()[0].strip() == SHOP
    assert "COPY" in copy.splitlines()


def test_fiat_and_tip_appear_once_sales_carry_them() -> None:
    fiat = FiatAmount(Decimal("3.50"), "EUR", Decimal("5400"))
    lines = body(Receipt(**{**RECEIPT.__dict__, "fiat": fiat, "tip_sats": 189}), 32)
    assert any(line.startswith("Amount EUR") and line.endswith("3.50") for line in lines)
    assert any(line.startswith("Rate") and line.endswith("5400 sats/EUR") for line in lines)
    assert any(line.startswith("Tip") and line.endswith("189 sats") for line in lines)


def test_a_receipt_is_made_from_the_journals_sale(journal: Journal) -> None:
    made = every_state(journal, START)
    sale = journal.sale(made.ids["forwarded"])
    assert sale.pos is not None
    receipt = receipt_for(sale, SHOP, "now")
    assert (receipt.sale_id, receipt.amount_sats) == (sale.id, sale.amount_sats)
    assert receipt.payment_hash == sale.pos.hash[:HASH_CHARS]
    assert receipt.fiat is None  # no sale carries a fiat amount yet
    assert receipt.tip_sats == 0


# --- the folder stand-in ---------------------------------------------------------------------


def test_the_folder_printer_writes_text_and_a_picture_and_never_overwrites(
    tmp_path: Path,
) -> None:
    printer = FolderPrinter(tmp_path / "receipts", width=32)
    printer.print_receipt(RECEIPT)
    printer.print_receipt(Receipt(**{**RECEIPT.__dict__, "copy": True}))
    files = sorted(p.name for p in (tmp_path / "receipts").iterdir())
    assert files == [
        f"0001-{SALE_ID}.png",
        f"0001-{SALE_ID}.txt",
        f"0002-{SALE_ID}-copy.png",
        f"0002-{SALE_ID}-copy.txt",
    ]
    assert (tmp_path / "receipts" / f"0001-{SALE_ID}.txt").read_text() == text(RECEIPT, 32)
    picture = Image.open(tmp_path / "receipts" / f"0001-{SALE_ID}.png")
    assert picture.width == 384
    assert picture.convert("L").getextrema()[0] == 0  # something is printed on it


def test_a_folder_that_cannot_be_written_is_a_hardware_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HardwareError, match=r"receipts\.folder"):
        FolderPrinter(blocker / "receipts").print_receipt(RECEIPT)


# --- the ESC/POS driver through python-escpos's Dummy printer ----------------------------------


class Device(Dummy):  # type: ignore[misc]  # python-escpos ships no type information
    """python-escpos's Dummy printer, remembering that it was closed."""

    closed = False

    def close(self) -> None:
        self.closed = True


def test_the_escpos_printer_sends_the_receipt_and_cuts() -> None:
    device = Device()
    EscposPrinter(lambda: device, width=32).print_receipt(RECEIPT)
    sent: bytes = device.output
    assert sent.startswith(b"\x1b")  # ESC commands first: alignment and text size
    for line in body(RECEIPT, 32):
        assert line.encode("cp437", "replace") in sent
    assert b"Corner Caf" in sent  # the shop's name, in the printer's code page
    assert b"\x1dV" in sent  # GS V: cut
    assert sent.index(b"2,100 sats") < sent.index(b"\x1dV")
    assert device.closed


def test_a_printer_that_cannot_be_opened_says_what_to_check() -> None:
    def absent() -> Any:
        raise OSError("No such device")

    with pytest.raises(HardwareError, match=r"on, plugged in and configured in \[receipts\]"):
        EscposPrinter(absent).print_receipt(RECEIPT)


def test_a_printer_that_fails_mid_receipt_is_closed_and_says_so() -> None:
    class Jammed(Device):
        def cut(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("paper jam")

    device = Jammed()
    with pytest.raises(HardwareError, match="paper jam"):
        EscposPrinter(lambda: device).print_receipt(RECEIPT)
    assert device.closed


# --- the desk: after forwarded, at most once per sale ------------------------------------------


class Recorder:
    """A printer that notes each receipt and what the journal said of its sale at that moment."""

    def __init__(self, journal_dir: Path, *, fail: bool = False) -> None:
        self.journal_dir = journal_dir
        self.fail = fail
        self.receipts: list[Receipt] = []
        self.states: list[SaleState] = []

    def print_receipt(self, receipt: Receipt) -> None:
        # The printer's own look at the journal file: what a crash right now would leave.
        journal = Journal.open_existing(self.journal_dir)
        try:
            self.states.append(journal.sale(receipt.sale_id).state)
            printed = journal.last_receipt()
        finally:
            journal.close()
        assert printed is not None
        assert printed.id == receipt.sale_id or receipt.copy, "printed before it was marked"
        if self.fail:
            raise HardwareError("out of paper")
        self.receipts.append(receipt)


def seeded(tmp_path: Path) -> dict[str, str]:
    journal = Journal.open(tmp_path)
    try:
        return every_state(journal, START).ids
    finally:
        journal.close()


async def test_a_forwarded_sale_gets_one_receipt_even_across_a_restart(tmp_path: Path) -> None:
    ids = seeded(tmp_path)
    recorder = Recorder(tmp_path)
    for _ in range(2):  # two runs of the terminal on the same journal
        journal = await asyncio.to_thread(JournalThread.start, tmp_path)
        try:
            desk = ReceiptDesk(journal, recorder, SHOP)
            first_run = not recorder.receipts
            assert await desk.print_once(ids["forwarded"]) is first_run
            assert not await desk.print_once(ids["forwarded"])
        finally:
            await asyncio.to_thread(journal.close)
    assert [r.sale_id for r in recorder.receipts] == [ids["forwarded"]]
    assert recorder.states == [SaleState.FORWARDED]


@pytest.mark.parametrize("name", ["open", "pending", "failing", "cancelled", "lapsed"])
async def test_no_receipt_before_the_journal_says_forwarded(tmp_path: Path, name: str) -> None:
    ids = seeded(tmp_path)
    recorder = Recorder(tmp_path)
    journal = await asyncio.to_thread(JournalThread.start, tmp_path)
    try:
        assert not await ReceiptDesk(journal, recorder, SHOP).print_once(ids[name])
    finally:
        await asyncio.to_thread(journal.close)
    assert recorder.receipts == []


async def test_a_failed_print_is_not_tried_again_and_the_menu_can_reprint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)  # whatever level an earlier test left the root logger at
    ids = seeded(tmp_path)
    recorder = Recorder(tmp_path, fail=True)
    journal = await asyncio.to_thread(JournalThread.start, tmp_path)
    try:
        desk = ReceiptDesk(journal, recorder, SHOP)
        assert await desk.reprint_last() == "No receipt printed yet"
        assert not await desk.print_once(ids["late"])
        assert "out of paper" in caplog.text
        recorder.fail = False
        assert not await desk.print_once(ids["late"])  # marked before the failed print
        assert await desk.reprint_last() == "Receipt printed again"
    finally:
        await asyncio.to_thread(journal.close)
    (copy,) = recorder.receipts
    assert (copy.sale_id, copy.copy) == (ids["late"], True)


async def test_the_desk_prints_what_it_is_told_in_order(tmp_path: Path) -> None:
    ids = seeded(tmp_path)
    journal = await asyncio.to_thread(JournalThread.start, tmp_path)
    desk = ReceiptDesk(journal, FolderPrinter(tmp_path / "receipts"), SHOP)
    task = asyncio.get_running_loop().create_task(desk.run())
    try:
        desk.forwarded(ids["forwarded"])
        desk.forwarded(ids["late"])
        desk.forwarded(ids["forwarded"])  # a repeat report: no second receipt
        await asyncio.wait_for(desk.drained(), scaled(10))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(journal.close)
    assert desk.printed == [ids["forwarded"], ids["late"]]
    names = sorted(p.name for p in (tmp_path / "receipts").glob("*.txt"))
    assert names == [f"0001-{ids['forwarded']}.txt", f"0002-{ids['late']}.txt"]
