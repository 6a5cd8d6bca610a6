"""The shell's small parts: how the BlinkPOS link state is combined, and how payments settle."""

from __future__ import annotations

import pytest

from terminal.flow.events import Event, InvoiceExpired, PaymentSettled
from terminal.links import LinkState
from terminal.money.journal import Journal
from terminal.money.sale import InvoiceRef, SaleState
from terminal.money.settling import Settler
from terminal.shell.poslink import PosLink, combine

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("socket", "http_ok", "rejected", "expected"),
    [
        (LinkState.UP, None, False, LinkState.UP),
        (LinkState.UP, False, False, LinkState.UP),
        (LinkState.DOWN, True, False, LinkState.DEGRADED),
        (LinkState.DOWN, False, False, LinkState.DOWN),
        (LinkState.CONNECTING, None, False, LinkState.CONNECTING),
        (LinkState.REJECTED, True, False, LinkState.REJECTED),
        (LinkState.UP, False, True, LinkState.REJECTED),
    ],
)
def test_link_state_combines_socket_and_http(
    socket: LinkState, http_ok: bool | None, rejected: bool, expected: LinkState
) -> None:
    assert combine(socket, http_ok, rejected) is expected


def test_the_link_reports_each_change_once() -> None:
    seen: list[LinkState] = []
    link = PosLink(lambda state, reason: seen.append(state))
    link.socket_changed(LinkState.UP, "connected")
    link.http_answered()  # still UP: no news
    link.socket_changed(LinkState.DOWN, "dropped")  # HTTP answered earlier: degraded
    link.http_failed("timeout")
    link.http_failed("timeout again")  # still DOWN: no news
    link.socket_changed(LinkState.UP, "back")
    assert seen == [LinkState.UP, LinkState.DEGRADED, LinkState.DOWN, LinkState.UP]


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
    journal.mark_paid(first, NOW + 1)
    journal.replace_merchant_invoice(first, InvoiceRef("lnbcnew", f"{300:064x}", NOW + 9e4), NOW)
    assert journal.by_merchant_hash(f"{101:064x}").id == first  # replaced, still the sale's
    assert journal.by_merchant_hash(f"{300:064X}").id == first  # current; any hex case
    assert journal.by_merchant_hash(f"{102:064x}").id == second
    assert journal.by_merchant_hash(f"{1:064x}") is None  # a POS hash is not a merchant one
    assert journal.by_merchant_hash(f"{999:064x}") is None


def test_a_payment_is_journaled_before_anyone_hears_of_it(journal: Journal) -> None:
    sale_id = open_sale(journal, 1)
    events: list[Event] = []
    woken: list[bool] = []

    def emit(event: Event) -> None:
        # When the flow hears of the payment, the journal must already say so.
        assert journal.sale(sale_id).state is SaleState.PAID
        events.append(event)

    settler = Settler(journal, emit, lambda: woken.append(True), lambda: NOW + 5)
    assert settler.paid(f"{1:064x}", "test")
    assert events == [PaymentSettled(sale_id, 1000)]
    assert woken == [True]
    # The same payment reported again (duplicates are normal) changes nothing more.
    assert settler.paid(f"{1:064x}", "test")
    journal.mark_forwarded(sale_id, NOW + 6)
    assert settler.paid(f"{1:064x}", "test")
    assert len(events) == 2  # once when paid, once more while still unforwarded, never after


def test_another_terminals_payment_is_not_ours(journal: Journal) -> None:
    events: list[Event] = []
    settler = Settler(journal, events.append, lambda: None, lambda: NOW)
    assert not settler.paid(f"{999:064x}", "myUpdates")
    assert events == []
    assert journal.unforwarded_paid() == []


def test_blink_saying_expired_settles_open_and_cancelled_sales(journal: Journal) -> None:
    shown, cancelled = open_sale(journal, 1), open_sale(journal, 2)
    journal.mark_cancelled(cancelled, NOW + 1)
    events: list[Event] = []
    settler = Settler(journal, events.append, lambda: None, lambda: NOW + 1000)
    settler.expired(f"{1:064x}")
    settler.expired(f"{2:064x}")
    assert events == [InvoiceExpired(shown), InvoiceExpired(cancelled)]
    assert journal.sale(shown).state is SaleState.EXPIRED
    assert journal.sale(cancelled).state is SaleState.EXPIRED


def test_unreachable_and_reachable_again_are_logged_once_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = PosLink(lambda state, reason: None)
    link.socket_changed(LinkState.UP, "connected")
    with caplog.at_level("INFO", logger="terminal.shell.poslink"):
        link.socket_changed(LinkState.DOWN, "dropped")
        for _ in range(5):  # every retry fails the same way while the network is out
            link.http_failed("connection refused")
            link.socket_changed(LinkState.DOWN, "still down")
        link.socket_changed(LinkState.UP, "back")
    lines = [r.getMessage() for r in caplog.records]
    assert sum("unreachable" in line for line in lines) == 1
    assert sum("reachable again" in line for line in lines) == 1
