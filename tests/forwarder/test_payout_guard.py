"""The payout guard pays only the sale's own merchant invoice, for exactly the sale's amount."""

from __future__ import annotations

from dataclasses import replace

import pytest

from terminal.errors import PayoutGuardError
from terminal.money.guard import (
    EXPIRY_MARGIN_SECONDS,
    Expected,
    check_new_invoices,
    check_payout,
)
from terminal.money.sale import InvoiceRef, Sale, SaleState
from tests.forwarder.fake_blink import NODE_ID, make_invoice

NOW = 1_800_000_000.0


def paid_sale(amount: int = 2100, expiry: int = 3600) -> Sale:
    merchant = make_invoice(amount, now=NOW, expiry=expiry)
    return Sale(
        id="t1-abc",
        amount_sats=amount,
        memo="Table 4",
        state=SaleState.RECEIVED,
        created_at=NOW,
        updated_at=NOW,
        pos=InvoiceRef("lnbcpos", "a" * 64, NOW + 900),
        merchant=InvoiceRef(merchant.payment_request, merchant.payment_hash, merchant.expires_at),
    )


def test_the_sales_own_invoice_passes() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    decoded = check_payout(sale, sale.merchant.request, now=NOW)
    assert decoded.amount_sats == 2100
    assert decoded.payment_hash == sale.merchant.hash


def test_an_invoice_in_upper_case_from_the_journal_still_matches() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    upper = replace(sale.merchant, request=sale.merchant.request.upper())
    sale = replace(sale, merchant=upper)
    assert check_payout(sale, upper.request, now=NOW).amount_sats == 2100


def test_an_invoice_that_is_not_the_journaled_one_is_refused() -> None:
    sale = paid_sale()
    thief = make_invoice(2100, now=NOW, expiry=3600)
    with pytest.raises(PayoutGuardError, match="not the merchant invoice journaled"):
        check_payout(sale, thief.payment_request, now=NOW)


def test_a_journaled_invoice_for_another_amount_is_refused() -> None:
    sale = paid_sale()
    bigger = make_invoice(21_000, now=NOW, expiry=3600)
    sale = replace(
        sale, merchant=InvoiceRef(bigger.payment_request, bigger.payment_hash, bigger.expires_at)
    )
    with pytest.raises(PayoutGuardError, match="21000 sats but the merchant is owed 2100"):
        check_payout(sale, bigger.payment_request, now=NOW)


def test_a_journaled_hash_that_differs_from_the_invoice_is_refused() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    sale = replace(sale, merchant=replace(sale.merchant, hash="f" * 64))
    with pytest.raises(PayoutGuardError, match="hash differs"):
        check_payout(sale, sale.merchant.request if sale.merchant else "", now=NOW)


def test_an_invoice_about_to_expire_is_refused() -> None:
    sale = paid_sale(expiry=3600)
    assert sale.merchant is not None
    check_payout(sale, sale.merchant.request, now=NOW + 3600 - EXPIRY_MARGIN_SECONDS - 1)
    with pytest.raises(PayoutGuardError, match="must be replaced"):
        check_payout(sale, sale.merchant.request, now=NOW + 3600 - EXPIRY_MARGIN_SECONDS + 1)


def test_an_undecodable_invoice_is_refused() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    broken = replace(sale.merchant, request=sale.merchant.request[:-6] + "qqqqqq")
    sale = replace(sale, merchant=broken)
    with pytest.raises(PayoutGuardError, match="cannot be decoded"):
        check_payout(sale, broken.request, now=NOW)


@pytest.mark.parametrize(
    "state", [s for s in SaleState if s is not SaleState.RECEIVED], ids=lambda s: s.value
)
def test_only_a_paid_sale_is_paid_out(state: SaleState) -> None:
    sale = replace(paid_sale(), state=state)
    assert sale.merchant is not None
    with pytest.raises(PayoutGuardError, match="not received"):
        check_payout(sale, sale.merchant.request, now=NOW)


def test_a_sale_without_a_merchant_invoice_is_refused() -> None:
    sale = replace(paid_sale(), merchant=None)
    with pytest.raises(PayoutGuardError, match="not the merchant invoice"):
        check_payout(sale, "", now=NOW)


def test_an_invoice_payable_to_a_node_that_is_not_blinks_is_refused() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    assert check_payout(sale, sale.merchant.request, now=NOW, node_ids=frozenset({NODE_ID}))
    with pytest.raises(PayoutGuardError, match="not Blink's"):
        check_payout(sale, sale.merchant.request, now=NOW, node_ids=frozenset({"02" + "00" * 32}))


def test_a_sale_paid_short_is_never_forwarded_in_full() -> None:
    sale = replace(paid_sale(), paid_sats=1)  # a tampered QR asked for 1 sat, and got it
    assert sale.merchant is not None
    with pytest.raises(PayoutGuardError, match="paid 1 sats of 2100"):
        check_payout(sale, sale.merchant.request, now=NOW)
    overpaid = replace(paid_sale(), paid_sats=2200)
    assert overpaid.merchant is not None
    assert check_payout(overpaid, overpaid.merchant.request, now=NOW).amount_sats == 2100


def test_with_the_merchants_key_only_a_confirmed_invoice_is_paid() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    with pytest.raises(PayoutGuardError, match="not confirmed"):
        check_payout(sale, sale.merchant.request, now=NOW, require_verified=True)
    confirmed = replace(sale, merchant=replace(sale.merchant, verified=True))
    assert confirmed.merchant is not None
    assert check_payout(confirmed, confirmed.merchant.request, now=NOW, require_verified=True)


def test_nothing_is_paid_before_blinks_time_is_known() -> None:
    sale = paid_sale()
    assert sale.merchant is not None
    with pytest.raises(PayoutGuardError, match="time is not known"):
        check_payout(sale, sale.merchant.request, now=None)


def test_new_invoices_must_ask_exactly_the_typed_amount_of_blinks_nodes() -> None:
    pos, merchant = make_invoice(2100, now=NOW, expiry=900), make_invoice(2000, now=NOW, expiry=9)
    tip = make_invoice(100, now=NOW, expiry=9)
    nodes = frozenset({NODE_ID})

    def expected(
        pos_request: str = pos.payment_request, merchant_hash: str = merchant.payment_hash
    ):
        return [
            Expected("customer's", 2100, pos_request, pos.payment_hash),
            Expected("merchant's", 2000, merchant.payment_request, merchant_hash),
            Expected("tip's", 100, tip.payment_request, tip.payment_hash),
        ]

    check_new_invoices(expected(), node_ids=nodes)  # all good
    cheap = make_invoice(1, now=NOW, expiry=900)
    with pytest.raises(PayoutGuardError, match="customer's invoice asks for 1 sats, not 2100"):
        check_new_invoices(expected(pos_request=cheap.payment_request), node_ids=nodes)
    with pytest.raises(PayoutGuardError, match="merchant's invoice's hash"):
        check_new_invoices(expected(merchant_hash=pos.payment_hash), node_ids=nodes)
    with pytest.raises(PayoutGuardError, match="not Blink's"):
        check_new_invoices(expected(), node_ids=frozenset({"03" + "11" * 32}))
