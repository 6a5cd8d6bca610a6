"""Journal writes are off the loop, and still every one is durable before what depends on it.

Two halves of one promise (the journal runs on its own thread, terminal/money/worker.py):

* the loop keeps serving the merchant while a journal write waits for the disk;
* yet nothing that depends on a write happens before the write has returned.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.blink.http import BlinkHttp
from terminal.flow.events import Event, InvoiceCreationFailed, InvoicesCreated
from terminal.keys import Key
from terminal.money.destination import Destination
from terminal.money.journal import Journal
from terminal.money.opening import SaleMaker
from terminal.money.sale import SaleState
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread
from terminal.sandbox import Sandbox
from terminal.screens.model import Creating, Idle, ShowInvoice
from terminal.secret import Secret
from tests.money.rig import Rig
from tests.support.timing import scaled


async def test_the_qr_is_announced_only_once_both_invoices_are_on_disk(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    http = BlinkHttp(sandbox.http_url, Secret("BlinkPOS", sandbox.keys["blinkpos"]))
    thread = JournalThread.start(tmp_path)
    reader = Journal.open(tmp_path)  # what a power cut right now would leave behind
    heard: list[Event] = []

    def emit(event: Event) -> None:
        assert isinstance(event, InvoicesCreated), event
        sale = reader.sale(event.sale_id)
        assert sale.state is SaleState.OPEN
        assert sale.pos is not None
        assert sale.pos.request == event.payment_request
        assert sale.merchant is not None
        heard.append(event)

    wallets = Wallets(pos=sandbox.wallet_id("blinkpos"), merchant=sandbox.wallet_id("merchant"))
    maker = SaleMaker(
        thread,
        http,
        WalletBook.known(wallets),
        Destination(http),
        emit,
        lambda: 1.0,
        memo="Shop",
        expiry_minutes=15,
    )
    try:
        await maker.create(2100, request=1)
    finally:
        await http.aclose()
        thread.close()
        reader.close()
    assert len(heard) == 1


async def test_a_failed_sale_is_journaled_failed_before_the_screen_hears(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    http = BlinkHttp(sandbox.http_url, Secret("BlinkPOS", sandbox.keys["blinkpos"]))
    thread = JournalThread.start(tmp_path)
    reader = Journal.open(tmp_path)
    heard: list[Event] = []

    def emit(event: Event) -> None:
        assert isinstance(event, InvoiceCreationFailed), event
        assert event.sale_id is not None
        assert reader.sale(event.sale_id).state is SaleState.FAILED
        heard.append(event)

    sandbox.faults.fail_next(2, "500")
    wallets = Wallets(pos=sandbox.wallet_id("blinkpos"), merchant=sandbox.wallet_id("merchant"))
    maker = SaleMaker(
        thread,
        http,
        WalletBook.known(wallets),
        Destination(http),
        emit,
        lambda: 1.0,
        memo="Shop",
        expiry_minutes=15,
    )
    try:
        await maker.create(2100, request=1)
    finally:
        await http.aclose()
        thread.close()
        reader.close()
    assert len(heard) == 1


async def test_the_loop_serves_the_merchant_while_a_journal_write_waits(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        # Another connection holds the journal's write lock: the terminal's next write waits
        # for it (as for a slow SD card's fsync), on the journal's thread.
        holder = sqlite3.connect(Path(rig.config.terminal.state_dir) / "journal.sqlite3")
        holder.isolation_level = None
        holder.execute("BEGIN IMMEDIATE")
        try:
            rig.type_amount(2100)
            await rig.screen(Creating)
            # The sale cannot even be journaled yet, but the keypad still works at once.
            rig.press(Key.CANCEL)
            await rig.screen(Idle, within=scaled(2))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # Released: the abandoned sale is journaled, made, and closed as cancelled; never shown.
        await rig.wait_for(
            lambda: bool(rig.sales()) and rig.sales()[0].state is SaleState.CANCELLED,
            "the abandoned sale journaled cancelled",
        )
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)
