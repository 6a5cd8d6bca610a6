"""``Journal.receive``: a payment report, and the sale's first pay attempt with it, in one call.

Exactly-once rests on the order: the attempt is durable before its pay request leaves. Receiving
and planning in one transaction keeps that order (both are on disk together, or neither), and a
report that changes nothing writes nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.money.firstpay import FirstPay, JournaledPay
from terminal.money.journal import Journal
from terminal.money.sale import PayoutRole, Sale, SaleState
from tests.journal.test_journal import NOW, open_sale, ref

POS_HASH = ref("a1").hash
MERCHANT_HASH = ref("a2").hash


class Planner:
    """A plan that names the merchant invoice (or ``hash``), noting each sale it was shown."""

    def __init__(self, invoice_hash: str = MERCHANT_HASH) -> None:
        self.seen: list[Sale] = []
        self._hash = invoice_hash

    def __call__(self, sale: Sale) -> FirstPay | None:
        self.seen.append(sale)
        return FirstPay(PayoutRole.MERCHANT, self._hash, NOW + 7)


def test_an_invoice_that_is_not_ours_is_no_sale(journal: Journal) -> None:
    plan = Planner()
    receipt = journal.receive("f" * 64, NOW, 2100, plan)
    assert receipt.sale is None
    assert not receipt.moved
    assert plan.seen == []


def test_a_payment_and_its_planned_attempt_are_journaled_together(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    sale_id = open_sale(journal)
    plan = Planner()
    receipt = journal.receive(POS_HASH.upper(), NOW + 5, 2100, plan)
    # The plan judged the sale exactly as it is now stored: received, with what Blink said.
    (shown,) = plan.seen
    assert shown.state is SaleState.RECEIVED
    assert shown.paid_sats == 2100
    assert receipt.received == shown == journal.sale(sale_id)
    assert receipt.sale is not None
    assert receipt.sale.state is SaleState.OPEN  # as it was found
    (attempt,) = journal.attempts(sale_id)
    assert receipt.first_pay == JournaledPay(PayoutRole.MERCHANT, MERCHANT_HASH, attempt.id)
    assert (attempt.merchant_hash, attempt.started_at, attempt.started_blink) == (
        MERCHANT_HASH,
        NOW + 5,
        NOW + 7,
    )
    assert attempt.finished_at is None  # the request has not left yet
    journal.close()
    # What a power cut right now leaves: both facts, from one commit.
    reopened = Journal.open(tmp_path)
    assert reopened.sale(sale_id).state is SaleState.RECEIVED
    assert len(reopened.attempts(sale_id)) == 1
    reopened.close()


def test_without_a_plan_only_the_payment_is_journaled(journal: Journal) -> None:
    sale_id = open_sale(journal)
    receipt = journal.receive(POS_HASH, NOW + 5)
    assert receipt.moved
    assert receipt.first_pay is None
    assert journal.sale(sale_id).state is SaleState.RECEIVED
    assert journal.attempts(sale_id) == []


def test_a_plan_that_declines_leaves_the_payment_journaled(journal: Journal) -> None:
    sale_id = open_sale(journal)
    receipt = journal.receive(POS_HASH, NOW + 5, None, lambda sale: None)
    assert receipt.moved
    assert receipt.first_pay is None
    assert journal.attempts(sale_id) == []


def test_a_plan_naming_another_invoice_journals_the_payment_but_no_attempt(
    journal: Journal,
) -> None:
    sale_id = open_sale(journal)
    receipt = journal.receive(POS_HASH, NOW + 5, None, Planner(invoice_hash=POS_HASH))
    assert receipt.moved
    assert receipt.first_pay is None
    assert journal.sale(sale_id).state is SaleState.RECEIVED
    assert journal.attempts(sale_id) == []


def test_a_duplicate_report_changes_nothing_and_plans_nothing(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.receive(POS_HASH, NOW + 5, 2100).moved
    before = journal.sale(sale_id)
    plan = Planner()
    again = journal.receive(POS_HASH, NOW + 9, 2100, plan)
    assert not again.moved
    assert again.sale == before
    assert plan.seen == []
    assert journal.sale(sale_id) == before
    assert journal.attempts(sale_id) == []


def test_a_duplicate_that_says_the_amount_keeps_it(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.receive(POS_HASH, NOW + 5).moved  # a status query: no amount
    again = journal.receive(POS_HASH, NOW + 9, 2100)
    assert not again.moved
    assert journal.sale(sale_id).paid_sats == 2100
    assert journal.sale(sale_id).received_at == NOW + 5


def test_a_late_payment_of_a_lapsed_sale_is_received(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.mark_lapsed(sale_id, NOW + 2)
    receipt = journal.receive(POS_HASH, NOW + 5, None, Planner())
    assert receipt.moved
    assert receipt.first_pay is not None


def test_a_forwarded_sale_reported_again_writes_nothing(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    sale_id = open_sale(journal)
    journal.receive(POS_HASH, NOW + 5, 2100)
    assert journal.mark_payout_done(sale_id, MERCHANT_HASH, NOW + 6)
    watcher = sqlite3.connect(journal.path)
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    again = journal.receive(POS_HASH, NOW + 9, 2100, Planner())
    assert not again.moved
    assert again.sale is not None
    assert again.sale.state is SaleState.FORWARDED
    # PRAGMA data_version moves when another connection commits: nothing was committed.
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
    watcher.close()
    journal.close()
