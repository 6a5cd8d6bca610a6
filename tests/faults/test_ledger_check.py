"""The money check itself, on books built by hand: it must flag each failure it exists for.

The fault tests trust ``check_exactly_once`` to say "clean"; these show that it would say
otherwise for a lost sale, a doubled one, a stray pay request and money leaving BlinkPOS.
"""

from __future__ import annotations

from collections.abc import Iterable

from terminal.sandbox.ledger import Payment, PayRequest
from tests.faults.ledger_check import Book, JournalSale, check_exactly_once

POS, MERCHANT, CUSTOMER = "wallet-blinkpos", "wallet-merchant", "wallet-customer"
AMOUNT = 2100
POS_HASH = "pos-invoice-hash-1"
MERCHANT_HASH = "merchant-invoice-hash-1"
REPLACEMENT_HASH = "merchant-invoice-hash-2"
SWEEP_HASH = "sweep-invoice-hash"


def book(payments: Iterable[Payment], requests: Iterable[PayRequest] = ()) -> Book:
    """A book with the three wallets of the sandbox and the given money movements."""
    return Book(
        invoices={},
        payments=list(payments),
        pay_requests=list(requests),
        wallets={"blinkpos": POS, "merchant": MERCHANT, "customer": CUSTOMER},
    )


def paid_in(payment_hash: str = POS_HASH) -> Payment:
    """The customer pays a BlinkPOS invoice."""
    return Payment(payment_hash, CUSTOMER, POS, AMOUNT, 1.0)


def forward(payment_hash: str = MERCHANT_HASH) -> Payment:
    """BlinkPOS pays a merchant invoice."""
    return Payment(payment_hash, POS, MERCHANT, AMOUNT, 2.0)


def asked(payment_hash: str = MERCHANT_HASH, outcome: str = "SUCCESS") -> PayRequest:
    """BlinkPOS was asked to pay ``payment_hash``."""
    return PayRequest(2.0, POS, payment_hash, outcome)


def journal(
    state: str = "forwarded", merchant_hashes: tuple[str, ...] = (MERCHANT_HASH,)
) -> dict[str, JournalSale]:
    """A journal holding one sale of ``AMOUNT`` sats."""
    return {"sale-1": JournalSale("sale-1", AMOUNT, state, POS_HASH, merchant_hashes)}


def test_a_sale_paid_and_forwarded_once_is_clean() -> None:
    verdict = check_exactly_once(book([paid_in(), forward()], [asked()]), journal())
    assert verdict.clean, verdict
    assert (verdict.paid, verdict.forwarded_once) == (1, 1)


def test_a_paid_sale_never_forwarded_is_lost() -> None:
    verdict = check_exactly_once(book([paid_in()]), journal("received"))
    assert not verdict.clean
    assert verdict.lost == ["sale-1"]
    assert (verdict.doubled, verdict.problems) == ([], [])


def test_a_sale_forwarded_twice_is_doubled() -> None:
    # The original merchant invoice and its replacement were both paid.
    hashes = (MERCHANT_HASH, REPLACEMENT_HASH)
    payments = [paid_in(), forward(MERCHANT_HASH), forward(REPLACEMENT_HASH)]
    requests = [asked(MERCHANT_HASH), asked(REPLACEMENT_HASH)]
    verdict = check_exactly_once(book(payments, requests), journal(merchant_hashes=hashes))
    assert not verdict.clean
    assert verdict.doubled == ["sale-1"]
    assert (verdict.lost, verdict.forwarded_once) == ([], 0)


def test_a_pay_request_for_no_journaled_invoice_is_a_problem() -> None:
    requests = [asked(), asked("somebody-elses-hash", "FAILURE:ROUTE_FINDING_ERROR")]
    verdict = check_exactly_once(book([paid_in(), forward()], requests), journal())
    assert not verdict.clean
    assert len(verdict.problems) == 1
    assert "BlinkPOS was asked to pay somebody-els" in verdict.problems[0]
    assert (verdict.lost, verdict.doubled) == ([], [])


def test_money_leaving_blinkpos_otherwise_is_a_problem_unless_the_test_paid_it() -> None:
    sweep = Payment(SWEEP_HASH, POS, CUSTOMER, 500, 3.0)
    payments = [paid_in(), forward(), sweep]
    verdict = check_exactly_once(book(payments, [asked()]), journal())
    assert not verdict.clean
    assert len(verdict.problems) == 1
    assert "500 sats left BlinkPOS" in verdict.problems[0]
    assert (verdict.lost, verdict.doubled) == ([], [])
    # The same sweep, named as the test's own drain, is explained.
    allowed = check_exactly_once(book(payments, [asked()]), journal(), allowed_out=(SWEEP_HASH,))
    assert allowed.clean, allowed
