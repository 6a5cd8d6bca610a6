"""The journal's small reads and marks for the till: since(t), and the receipt mark (at most one
receipt per forwarded sale, across a reopen)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.errors import IllegalTransition
from terminal.money.journal import JOURNAL_FILE, Journal
from terminal.till import totals_of
from tests.till.sales import every_state, opened

START = 1_700_000_000.0


def test_a_receipt_is_claimed_once_even_after_a_reopen(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    made = every_state(journal, START)
    sale_id = made.ids["forwarded"]
    assert journal.claim_receipt(sale_id, START + 100)
    assert not journal.claim_receipt(sale_id, START + 101)
    journal.close()
    reopened = Journal.open(tmp_path)
    try:
        assert not reopened.claim_receipt(sale_id, START + 102)
        assert reopened.claim_receipt(made.ids["late"], START + 103)
    finally:
        reopened.close()


@pytest.mark.parametrize("name", ["open", "pending", "failing", "cancelled", "failed"])
def test_only_a_forwarded_sale_has_a_receipt(journal: Journal, name: str) -> None:
    made = every_state(journal, START)
    with pytest.raises(IllegalTransition):
        journal.claim_receipt(made.ids[name], START + 100)
    assert journal.last_receipt() is None


def test_the_last_receipt_is_the_one_printed_last(journal: Journal) -> None:
    made = every_state(journal, START)
    assert journal.last_receipt() is None
    journal.claim_receipt(made.ids["late"], START + 100)
    journal.claim_receipt(made.ids["forwarded"], START + 200)
    last = journal.last_receipt()
    assert last is not None
    assert last.id == made.ids["forwarded"]


def test_a_journal_made_before_receipts_gets_the_table_when_opened(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    made = every_state(journal, START)
    journal.close()
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as conn:
        conn.execute("DROP TABLE receipts")  # as a journal written by the previous release
    conn.close()
    reopened = Journal.open(tmp_path)
    try:
        assert reopened.claim_receipt(made.ids["forwarded"], START + 100)
    finally:
        reopened.close()


def test_since_leaves_out_older_sales_and_lists_newest_first(journal: Journal) -> None:
    old = opened(journal, 40, 777, START - 3600)
    made = every_state(journal, START)
    sales = journal.since(START)
    assert old not in {s.id for s in sales}
    assert len(sales) == len(made.ids)
    assert [s.created_at for s in sales] == sorted((s.created_at for s in sales), reverse=True)
    assert totals_of(journal.since(START - 3600)).sales == len(made.ids) + 1
