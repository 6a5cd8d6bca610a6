"""A received sale's first pay request is planned only when the forwarder would make it at once.

The plan lets the journal record the payment and the attempt in one transaction
(``Journal.receive``); any doubt means no plan, and the forwarder's ordinary path (which asks
Blink first, or holds the sale) decides instead.
"""

from __future__ import annotations

from dataclasses import replace

from terminal.money.firstpay import FirstPay, FirstPayPlanner
from terminal.money.policy import DEFAULT_POLICY
from terminal.money.sale import PayoutRole, Sale
from tests.forwarder.fake_blink import NODE_ID
from tests.forwarder.test_payout_guard import NOW, paid_sale

NODES = frozenset({NODE_ID})


def planner(*, now: float = NOW, confirm: bool = False) -> FirstPayPlanner:
    return FirstPayPlanner(now, NODES, confirm, DEFAULT_POLICY)


def fresh(expiry: int = 3600, **changes: object) -> Sale:
    """A sale just received, its wallets journaled with it (version 3 and later)."""
    sale = replace(paid_sale(expiry=expiry), pos_wallet="w-pos", merchant_wallet="w-merchant")
    return replace(sale, **changes)  # type: ignore[arg-type]


def test_a_fresh_sale_plans_paying_its_merchant_invoice() -> None:
    sale = fresh()
    assert sale.merchant is not None
    assert planner()(sale) == FirstPay(PayoutRole.MERCHANT, sale.merchant.hash, NOW)


def test_a_sale_without_journaled_wallets_is_not_planned() -> None:
    assert planner()(paid_sale()) is None


def test_an_invoice_near_its_expiry_is_not_planned() -> None:
    # The policy asks Blink first (then replaces it): not a pay request.
    assert planner()(fresh(expiry=30)) is None


def test_an_unconfirmed_merchant_invoice_waits_for_the_merchants_key() -> None:
    sale = fresh()
    assert planner(confirm=True)(sale) is None
    assert sale.merchant is not None
    confirmed = replace(sale, merchant=replace(sale.merchant, verified=True))
    assert planner(confirm=True)(confirmed) is not None


def test_what_the_payout_guard_refuses_is_not_planned() -> None:
    assert planner()(fresh(paid_sats=2000)) is None  # the customer paid less than the sale
    foreign = FirstPayPlanner(NOW, frozenset({"02" + "00" * 32}), False, DEFAULT_POLICY)
    assert foreign(fresh()) is None  # the invoice is not payable to one of Blink's nodes


def test_a_sale_whose_payouts_are_paid_plans_nothing() -> None:
    sale = fresh()
    assert sale.merchant is not None
    done = replace(sale, merchant=replace(sale.merchant, paid_at=NOW))
    assert planner()(done) is None
