"""A journal holding a sale in every state the money path can leave one in."""

from __future__ import annotations

from dataclasses import dataclass

from terminal.money.journal import Journal
from terminal.money.sale import AttemptOutcome, InvoiceRef

EXPIRY = 900.0


@dataclass(frozen=True)
class Made:
    """What :func:`every_state` made: sale ids by name, and the sums a till must show."""

    ids: dict[str, str]
    forwarded_sats: int
    pending_sats: int
    paid: int


def opened(journal: Journal, n: int, amount: int, at: float) -> str:
    """A sale with both invoices journaled (open), made at ``at``; its POS invoice expires later."""
    sale = journal.begin_sale(amount, "memo", at)
    journal.record_invoices(
        sale.id,
        InvoiceRef(f"lnbc{n}", f"{n:064x}", at + EXPIRY),
        InvoiceRef(f"lnbcm{n}", f"{n + 500:064x}", at + 86_400),
        at,
    )
    return sale.id


def every_state(journal: Journal, start: float) -> Made:
    """One sale per state (and the paid ones in every way), all made after ``start``."""
    at = start + 10
    ids: dict[str, str] = {}
    ids["new"] = journal.begin_sale(11, "memo", at).id
    ids["failed"] = journal.begin_sale(13, "memo", at + 1).id
    journal.mark_failed(ids["failed"], at + 1)
    ids["open"] = opened(journal, 1, 17, at + 2)
    ids["cancelled"] = opened(journal, 2, 19, at + 3)
    journal.mark_cancelled(ids["cancelled"], at + 4)
    ids["lapsed"] = opened(journal, 3, 23, at + 5)
    journal.mark_lapsed(ids["lapsed"], at + 5 + EXPIRY)
    ids["pending"] = opened(journal, 4, 2_100, at + 6)
    journal.mark_received(ids["pending"], at + 7)
    ids["failing"] = opened(journal, 5, 500, at + 8)
    journal.mark_received(ids["failing"], at + 9)
    sale = journal.sale(ids["failing"])
    assert sale.merchant is not None
    attempt = journal.begin_forward_attempt(sale.id, sale.merchant.hash, at + 10)
    journal.finish_forward_attempt(attempt, AttemptOutcome.INSUFFICIENT_BALANCE, at + 11)
    ids["forwarded"] = opened(journal, 6, 10_000, at + 12)
    journal.mark_received(ids["forwarded"], at + 13)
    journal.mark_forwarded(ids["forwarded"], at + 14)
    # Paid after its QR's invoice expired (and after the merchant cancelled it), then forwarded.
    ids["late"] = opened(journal, 7, 4_000, at + 15)
    journal.mark_cancelled(ids["late"], at + 16)
    journal.mark_received(ids["late"], at + 20 + EXPIRY)
    journal.mark_forwarded(ids["late"], at + 21 + EXPIRY)
    return Made(ids, forwarded_sats=14_000, pending_sats=2_600, paid=4)
