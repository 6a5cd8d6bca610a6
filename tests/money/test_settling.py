"""The settler: a payment is journaled before anyone hears of it, and only our sales count."""

from __future__ import annotations

import sqlite3

import pytest

from terminal.flow.events import Event, PaymentReceived, SaleLapsed
from terminal.money.journal import Journal
from terminal.money.sale import InvoiceRef, SaleState
from terminal.money.settling import Settler
from terminal.money.worker import JournalThread

NOW = 1_800_000_000.0


def open_sale(journal: Journal, n: int) -> str:
    sale = journal.begin_sale(1000, "memo", NOW)
    journal.record_invoices(
        sale.id,
        InvoiceRef(f"lnbcpos{n}", f"{n:064x}", NOW + 900),
        InvoiceRef(f"lnbcmerchant{n}", f"{n + 100:064x}", NOW + 86400),
        NOW,
    )
    return sale.id


def test_a_merchant_invoice_finds_its_sale_current_or_replaced(journal: Journal) -> None:
    # How the merchant link tells this terminal's forwards from the merchant's other income.
    first, second = open_sale(journal, 1), open_sale(journal, 2)
    journal.mark_received(first, NOW + 1)
    journal.replace_merchant_invoice(first, InvoiceRef("lnbcnew", f"{300:064x}", NOW + 9e4), NOW)
    assert journal.by_merchant_hash(f"{101:064x}").id == first  # replaced, still the sale's
    assert journal.by_merchant_hash(f"{300:064X}").id == first  # current; any hex case
    assert journal.by_merchant_hash(f"{102:064x}").id == second
    assert journal.by_merchant_hash(f"{1:064x}") is None  # a POS hash is not a merchant one
    assert journal.by_merchant_hash(f"{999:064x}") is None


async def test_a_payment_is_journaled_before_anyone_hears_of_it(
    journal: Journal, journal_thread: JournalThread
) -> None:
    sale_id = open_sale(journal, 1)
    events: list[Event] = []
    woken: list[SaleState] = []

    def emit(event: Event) -> None:
        # When the flow hears of the payment, the journal must already say so.
        assert journal.sale(sale_id).state is SaleState.RECEIVED
        events.append(event)

    def wake() -> None:
        woken.append(journal.sale(sale_id).state)  # the forwarder too: durable first

    settler = Settler(journal_thread, emit, wake, lambda: NOW + 5)
    assert await settler.received(f"{1:064x}", "test")
    assert events == [PaymentReceived(sale_id, 1000)]
    assert woken == [SaleState.RECEIVED]
    # The same payment reported again (duplicates are normal) changes nothing more.
    assert await settler.received(f"{1:064x}", "test")
    journal.mark_forwarded(sale_id, NOW + 6)
    assert await settler.received(f"{1:064x}", "test")
    assert len(events) == 2  # once when paid, once more while still unforwarded, never after
    assert len(woken) == 2


async def test_another_terminals_payment_is_not_ours(
    journal: Journal, journal_thread: JournalThread
) -> None:
    events: list[Event] = []
    settler = Settler(journal_thread, events.append, lambda: None, lambda: NOW)
    assert not await settler.received(f"{999:064x}", "myUpdates")
    assert events == []
    assert journal.unforwarded_received() == []


async def test_blink_saying_expired_lapses_open_and_cancelled_sales(
    journal: Journal, journal_thread: JournalThread
) -> None:
    shown, cancelled = open_sale(journal, 1), open_sale(journal, 2)
    journal.mark_cancelled(cancelled, NOW + 1)
    events: list[Event] = []
    settler = Settler(journal_thread, events.append, lambda: None, lambda: NOW + 1000)
    await settler.lapsed(f"{1:064x}")
    await settler.lapsed(f"{2:064x}")
    assert events == [SaleLapsed(shown), SaleLapsed(cancelled)]
    assert journal.sale(shown).state is SaleState.LAPSED
    assert journal.sale(cancelled).state is SaleState.LAPSED


async def test_a_payment_for_a_sale_that_never_reached_the_screen_is_not_forwarded(
    journal: Journal, journal_thread: JournalThread, caplog: pytest.LogCaptureFixture
) -> None:
    # Impossible by construction; if Blink ever says so, a person must look, loudly.
    sale = journal.begin_sale(1000, "memo", NOW)
    journal.mark_failed(sale.id, NOW)
    journal_thread_sale = await journal_thread.call(Journal.sale, sale.id)
    assert journal_thread_sale.state is SaleState.FAILED
    conn_hash = f"{7:064x}"
    journal.close()
    raw = sqlite3.connect(journal_thread.path)
    raw.execute("UPDATE sales SET pos_hash = ? WHERE id = ?", (conn_hash, sale.id))
    raw.commit()
    raw.close()
    events: list[Event] = []
    woken: list[bool] = []
    settler = Settler(journal_thread, events.append, lambda: woken.append(True), lambda: NOW)
    assert await settler.received(conn_hash, "myUpdates")
    assert (events, woken) == ([], [])
    assert "check it by hand" in caplog.text
    assert (await journal_thread.call(Journal.sale, sale.id)).state is SaleState.FAILED


async def test_a_lapse_of_an_unknown_or_settled_invoice_changes_nothing(
    journal: Journal, journal_thread: JournalThread
) -> None:
    paid = open_sale(journal, 1)
    journal.mark_received(paid, NOW)
    events: list[Event] = []
    settler = Settler(journal_thread, events.append, lambda: None, lambda: NOW)
    await settler.lapsed(f"{999:064x}")  # another terminal's
    await settler.lapsed(f"{1:064x}")  # already paid: Blink's EXPIRED cannot undo that
    assert events == []
    assert journal.sale(paid).state is SaleState.RECEIVED
