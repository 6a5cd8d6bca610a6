"""The money check: the sandbox's ledger and the terminal's journal, read after the fact.

"Exactly once" is judged only from what Blink (the sandbox) recorded as money moving, against
what the terminal journaled. Nothing here trusts the terminal's own opinion of a sale except to
name which invoices are its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from terminal.sandbox import Sandbox, SandboxThread
from terminal.sandbox.ledger import Payment, PayRequest


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice the sandbox issued, as it stood when the book was read."""

    payment_hash: str
    payment_request: str
    wallet_id: str
    amount: int
    external_id: str
    status: str
    memo: str


@dataclass(frozen=True)
class Book:
    """A consistent copy of the sandbox's ledger (taken on the sandbox's own loop)."""

    invoices: dict[str, InvoiceRow]
    payments: list[Payment]
    pay_requests: list[PayRequest]
    wallets: dict[str, str]  # username -> BTC wallet id

    @property
    def pos_wallet(self) -> str:
        """The BlinkPOS BTC wallet id."""
        return self.wallets["blinkpos"]

    @property
    def merchant_wallet(self) -> str:
        """The merchant's BTC wallet id."""
        return self.wallets["merchant"]


async def _copy(sandbox: Sandbox) -> Book:
    ledger = sandbox.ledger
    invoices = {
        h: InvoiceRow(
            inv.payment_hash,
            inv.payment_request,
            inv.wallet_id,
            inv.amount,
            inv.external_id,
            ledger.status(inv),
            inv.memo,
        )
        for h, inv in ledger.invoices.items()
    }
    return Book(
        invoices=invoices,
        payments=list(ledger.payments),
        pay_requests=list(ledger.pay_requests),
        wallets={name: sandbox.wallet_id(name) for name in ledger.accounts},
    )


def read_book(sb: SandboxThread) -> Book:
    """Copy the sandbox's ledger on its loop thread, so no half-made payment is seen."""
    assert sb.sandbox is not None
    book: Book = sb.call(_copy(sb.sandbox))
    return book


@dataclass(frozen=True)
class JournalSale:
    """A sale as the terminal journaled it: its amount, state and every invoice hash."""

    id: str
    amount: int
    state: str
    pos_hash: str | None
    merchant_hashes: tuple[str, ...]
    tip: int = 0  # a tip with a payout of its own (to its recipient), else 0
    tip_hashes: tuple[str, ...] = ()


def read_journal(path: Path) -> dict[str, JournalSale]:
    """The journal's sales, read through a read-only connection (the terminal may be running)."""
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        hashes: dict[tuple[str, str], list[str]] = {}
        for sale_id, invoice_hash, role in conn.execute(
            "SELECT sale_id, hash, role FROM merchant_invoices ORDER BY id"
        ):
            hashes.setdefault((sale_id, role), []).append(invoice_hash)
        return {
            row[0]: JournalSale(
                row[0],
                row[1],
                row[2],
                row[3],
                tuple(hashes.get((row[0], "merchant"), ())),
                row[4] if row[5] is not None else 0,
                tuple(hashes.get((row[0], "tip"), ())),
            )
            for row in conn.execute(
                "SELECT id, amount_sats, state, pos_hash, tip_sats, tip_wallet FROM sales"
            )
        }
    finally:
        conn.close()


def read_attempts(path: Path, sale_id: str) -> list[tuple[str, str | None]]:
    """The sale's forward attempts as (merchant hash, outcome), oldest first (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        rows = conn.execute(
            "SELECT merchant_hash, outcome FROM forward_attempts WHERE sale_id = ? ORDER BY id",
            (sale_id,),
        ).fetchall()
        return [(str(r[0]), r[1]) for r in rows]
    finally:
        conn.close()


@dataclass
class Verdict:
    """What the ledger says happened to this terminal's sales."""

    paid: int = 0
    forwarded_once: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every paid sale reached the merchant exactly once, and nothing else left BlinkPOS."""
        return not (self.lost or self.doubled or self.problems)

    def __str__(self) -> str:
        return (
            f"{self.paid} paid, {self.forwarded_once} forwarded once, {len(self.lost)} lost, "
            f"{len(self.doubled)} doubled; problems: {self.problems[:5]}"
        )


def check_exactly_once(
    book: Book, journal: dict[str, JournalSale], *, allowed_out: Iterable[str] = ()
) -> Verdict:
    """Judge every sale in ``journal`` against the money in ``book``.

    ``allowed_out`` names payment hashes the test itself paid out of BlinkPOS (a drain).
    """
    verdict = Verdict()
    pos, merchant = book.pos_wallet, book.merchant_wallet
    paid_in = {p.payment_hash for p in book.payments if p.receiver_wallet_id == pos}
    out = [p for p in book.payments if p.payer_wallet_id == pos]
    by_hash: dict[str, list[Payment]] = {}
    for payment in book.payments:
        by_hash.setdefault(payment.payment_hash, []).append(payment)
    for payment_hash, payments in by_hash.items():
        if len(payments) > 1:
            verdict.problems.append(f"invoice {payment_hash[:12]} paid {len(payments)} times")
    explained: set[str] = set(allowed_out)
    tipped = book.wallets.get("staff_tips")
    for sale in journal.values():
        explained.update(sale.merchant_hashes)
        explained.update(sale.tip_hashes)
        to_merchant = [
            p
            for p in out
            if p.payment_hash in sale.merchant_hashes and p.receiver_wallet_id == merchant
        ]
        to_tip = [
            p for p in out if p.payment_hash in sale.tip_hashes and p.receiver_wallet_id == tipped
        ]
        if sale.pos_hash is None or sale.pos_hash not in paid_in:
            if to_merchant:
                verdict.problems.append(f"sale {sale.id} was never paid but was forwarded")
            if sale.state in ("received", "forwarded"):
                verdict.problems.append(f"sale {sale.id} journaled {sale.state} but never paid")
            continue
        verdict.paid += 1
        payouts = [(to_merchant, sale.amount - sale.tip)]
        if sale.tip:
            payouts.append((to_tip, sale.tip))
        if any(not paid for paid, _ in payouts):
            verdict.lost.append(sale.id)
        elif any(len(paid) > 1 or sum(p.amount for p in paid) != owed for paid, owed in payouts):
            verdict.doubled.append(sale.id)
        else:
            verdict.forwarded_once += 1
            if sale.state != "forwarded":
                verdict.problems.append(f"sale {sale.id} reached the merchant but is {sale.state}")
    for request in book.pay_requests:
        if request.wallet_id == pos and request.payment_hash not in explained:
            verdict.problems.append(
                f"BlinkPOS was asked to pay {request.payment_hash[:12]}, no journaled invoice"
            )
    for payment in out:
        if payment.payment_hash not in explained:
            verdict.problems.append(
                f"{payment.amount} sats left BlinkPOS for {payment.payment_hash[:12]}, "
                "which is no journaled merchant invoice"
            )
    return verdict
