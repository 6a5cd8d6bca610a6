"""The journal against a real SQLite file: writes, reads, durability settings and errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.errors import IllegalTransition, JournalError
from terminal.money.journal import JOURNAL_FILE, Journal
from terminal.money.sale import SALE_ID_PATTERN, AttemptOutcome, InvoiceRef, SaleState
from terminal.money.schema import translate

NOW = 1_800_000_000.0


def ref(tag: str, expires_at: float = NOW + 3600) -> InvoiceRef:
    """An invoice reference; the journal stores BOLT11 text without decoding it."""
    return InvoiceRef(request=f"lnbc{tag}request", hash=(tag * 64)[:64], expires_at=expires_at)


def open_sale(journal: Journal, amount: int = 2100, tag: str = "a") -> str:
    sale = journal.begin_sale(amount, "Table 4", NOW)
    journal.record_invoices(sale.id, ref(tag + "1"), ref(tag + "2", NOW + 86_400), NOW + 1)
    return sale.id


def test_a_state_directory_gets_the_journal_file(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    j.close()
    assert j.path == tmp_path / JOURNAL_FILE
    assert j.path.exists()


def test_durability_settings_are_wal_and_synchronous_full(journal: Journal) -> None:
    assert journal.settings() == {"journal_mode": "wal", "synchronous": "FULL"}


def test_begin_sale_journals_a_new_sale_with_an_external_id_usable_id(journal: Journal) -> None:
    sale = journal.begin_sale(2100, "Table 4", NOW)
    assert sale.state is SaleState.NEW
    assert SALE_ID_PATTERN.match(sale.id)
    assert sale.id.startswith(journal.terminal_id + "-")
    assert (sale.amount_sats, sale.memo, sale.created_at) == (2100, "Table 4", NOW)
    assert sale.pos is None
    assert sale.merchant is None


@pytest.mark.parametrize("amount", [0, -5])
def test_a_sale_needs_a_positive_amount(journal: Journal, amount: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        journal.begin_sale(amount, "", NOW)


def test_record_invoices_opens_the_sale_and_indexes_the_pos_hash(journal: Journal) -> None:
    sale_id = open_sale(journal)
    sale = journal.sale(sale_id)
    assert sale.state is SaleState.OPEN
    assert sale.pos == ref("a1")
    assert sale.merchant == ref("a2", NOW + 86_400)
    assert journal.by_pos_hash(ref("a1").hash) == sale
    assert journal.by_pos_hash(ref("a1").hash.upper()) == sale
    assert journal.by_pos_hash("f" * 64) is None


def test_recording_the_same_invoices_twice_is_harmless(journal: Journal) -> None:
    sale_id = open_sale(journal)
    journal.record_invoices(sale_id, ref("a1"), ref("a2", NOW + 86_400), NOW + 5)
    assert journal.sale(sale_id).updated_at == NOW + 1


def test_recording_other_invoices_for_an_open_sale_is_refused(journal: Journal) -> None:
    sale_id = open_sale(journal)
    with pytest.raises(IllegalTransition):
        journal.record_invoices(sale_id, ref("b1"), ref("b2"), NOW + 5)
    assert journal.sale(sale_id).pos == ref("a1")


def test_mark_received_is_idempotent(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.mark_received(sale_id, NOW + 10) is True
    assert journal.mark_received(sale_id, NOW + 11) is False
    sale = journal.sale(sale_id)
    assert sale.state is SaleState.RECEIVED
    assert sale.received_at == NOW + 10


def test_a_late_payment_still_moves_a_cancelled_sale_to_paid(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.mark_cancelled(sale_id, NOW + 5)
    assert journal.mark_received(sale_id, NOW + 7)
    assert journal.unforwarded_received()[0].id == sale_id


def test_a_cancelled_sale_that_blink_calls_expired_is_settled(journal: Journal) -> None:
    sale_id = open_sale(journal)
    assert journal.mark_cancelled(sale_id, NOW + 5)
    assert journal.mark_lapsed(sale_id, NOW + 6) is True
    assert journal.sale(sale_id).state is SaleState.LAPSED


def test_an_illegal_mark_raises_and_leaves_the_sale_alone(journal: Journal) -> None:
    sale = journal.begin_sale(100, "", NOW)
    with pytest.raises(IllegalTransition):
        journal.mark_received(sale.id, NOW + 1)
    assert journal.sale(sale.id).state is SaleState.NEW


def test_mark_failed_moves_a_new_sale(journal: Journal) -> None:
    sale = journal.begin_sale(100, "", NOW)
    assert journal.mark_failed(sale.id, NOW + 1)
    assert journal.sale(sale.id).state is SaleState.FAILED


def test_fail_unfinished_fails_only_sales_without_invoices(journal: Journal) -> None:
    stuck = journal.begin_sale(100, "", NOW).id
    opened = open_sale(journal)
    assert journal.fail_unfinished(NOW + 10) == [stuck]
    assert journal.sale(stuck).state is SaleState.FAILED
    assert journal.sale(opened).state is SaleState.OPEN


def test_an_unknown_sale_is_a_journal_error(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no sale"):
        journal.sale("nope")
    with pytest.raises(JournalError, match="no sale"):
        journal.mark_received("nope", NOW)


def test_unsettled_sales_are_open_or_cancelled_whatever_their_age(journal: Journal) -> None:
    opened = open_sale(journal, tag="a")  # its invoice expired long ago: Blink may still say PAID
    cancelled = open_sale(journal, tag="b")
    journal.mark_cancelled(cancelled, NOW + 2)
    settled = open_sale(journal, tag="c")
    journal.mark_lapsed(settled, NOW + 2)  # only ever written when Blink says EXPIRED
    assert {s.id for s in journal.unsettled_sales()} == {opened, cancelled}


def test_forwarding_a_sale(journal: Journal) -> None:
    sale_id = open_sale(journal)
    journal.mark_received(sale_id, NOW + 10)
    merchant_hash = ref("a2").hash
    attempt = journal.begin_forward_attempt(sale_id, merchant_hash, NOW + 11)
    unfinished = journal.attempts(sale_id)
    assert [(a.id, a.finished_at, a.outcome) for a in unfinished] == [(attempt, None, None)]
    journal.finish_forward_attempt(attempt, AttemptOutcome.SUCCESS, NOW + 12, "ok")
    (done,) = journal.attempts(sale_id)
    assert (done.merchant_hash, done.started_at, done.finished_at) == (
        merchant_hash,
        NOW + 11,
        NOW + 12,
    )
    assert done.outcome is AttemptOutcome.SUCCESS
    assert journal.mark_forwarded(sale_id, NOW + 13)
    assert journal.mark_forwarded(sale_id, NOW + 14) is False
    assert journal.unforwarded_received() == []
    assert journal.sale(sale_id).forwarded_at == NOW + 13


def test_an_attempt_for_another_invoice_is_refused(journal: Journal) -> None:
    sale_id = open_sale(journal)
    journal.mark_received(sale_id, NOW + 10)
    with pytest.raises(JournalError, match="not one of its current payout invoices"):
        journal.begin_forward_attempt(sale_id, "e" * 64, NOW + 11)
    assert journal.attempts(sale_id) == []


def test_an_attempt_for_an_unpaid_sale_is_refused(journal: Journal) -> None:
    sale_id = open_sale(journal)
    with pytest.raises(IllegalTransition):
        journal.begin_forward_attempt(sale_id, ref("a2").hash, NOW + 11)


def test_attempt_details_are_redacted(journal: Journal) -> None:
    sale_id = open_sale(journal)
    journal.mark_received(sale_id, NOW + 10)
    attempt = journal.begin_forward_attempt(sale_id, ref("a2").hash, NOW + 11)
    journal.finish_forward_attempt(
        attempt, AttemptOutcome.LOST, NOW + 12, "echoed blink_ABCDEFGHIJKLMNOP back"
    )
    assert "blink_ABCDEFGHIJKLMNOP" not in journal.attempts(sale_id)[0].detail


def test_replacing_the_merchant_invoice_keeps_its_history(journal: Journal) -> None:
    sale_id = open_sale(journal)
    journal.mark_received(sale_id, NOW + 10)
    journal.replace_merchant_invoice(sale_id, ref("d2"), NOW + 20)
    journal.replace_merchant_invoice(sale_id, ref("e2"), NOW + 30)
    sale = journal.sale(sale_id)
    assert sale.merchant == ref("e2")
    assert sale.replaced_merchants == (ref("a2", NOW + 86_400), ref("d2"))
    with pytest.raises(JournalError):
        journal.begin_forward_attempt(sale_id, ref("a2").hash, NOW + 31)


def test_recent_is_newest_first_and_limited(journal: Journal) -> None:
    ids = [journal.begin_sale(10 + i, "", NOW + i).id for i in range(5)]
    assert [s.id for s in journal.recent(3)] == ids[::-1][:3]


def test_everything_survives_close_and_reopen(tmp_path: Path) -> None:
    first = Journal.open(tmp_path)
    sale_id = open_sale(first)
    first.mark_received(sale_id, NOW + 10)
    attempt = first.begin_forward_attempt(sale_id, ref("a2").hash, NOW + 11)
    before = (first.terminal_id, first.sale(sale_id), first.attempts(sale_id))
    first.close()

    second = Journal.open(tmp_path)
    try:
        assert (second.terminal_id, second.sale(sale_id), second.attempts(sale_id)) == before
        assert second.attempts(sale_id)[0].id == attempt
    finally:
        second.close()


def test_a_corrupt_file_is_reported_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(b"this is not a database at all, just junk " * 200)
    with pytest.raises(JournalError, match="corrupt") as info:
        Journal.open(path)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


def test_a_missing_state_directory_is_created_owner_only(tmp_path: Path) -> None:
    Journal.open(tmp_path / "state" / "nested").close()
    folder = tmp_path / "state" / "nested"
    assert folder.is_dir()
    assert (folder / JOURNAL_FILE).is_file()
    assert folder.stat().st_mode & 0o077 == 0


def test_a_state_directory_that_cannot_be_made_is_reported(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the folder should be")
    with pytest.raises(JournalError, match="cannot create the state directory"):
        Journal.open(tmp_path / "blocker" / "state")


def test_a_missing_folder_for_a_journal_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="state directory exists"):
        Journal.open(tmp_path / "missing" / JOURNAL_FILE)


def test_a_read_only_journal_is_reported(tmp_path: Path) -> None:
    Journal.open(tmp_path).close()
    conn = sqlite3.connect(f"file:{tmp_path / JOURNAL_FILE}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as info:
            conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    finally:
        conn.close()
    error = translate(info.value, tmp_path / JOURNAL_FILE)
    assert "read-only" in str(error)


def test_a_full_disk_is_reported_with_what_to_do(tmp_path: Path) -> None:
    Journal.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / JOURNAL_FILE)
    try:
        # Capping the file's pages makes SQLite fail exactly as it does on a full disk.
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        rows = [(f"k{i}", "x" * 500) for i in range(10_000)]
        with pytest.raises(sqlite3.OperationalError) as info:
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", rows)
    finally:
        conn.close()
    assert "disk is full" in str(translate(info.value, tmp_path / JOURNAL_FILE))


def test_hashes_are_matched_in_any_case(journal: Journal) -> None:
    sale = journal.begin_sale(100, "", NOW)
    upper = InvoiceRef("lnbcpos", "AB" * 32, NOW + 10)
    journal.record_invoices(sale.id, upper, ref("c2"), NOW)
    assert journal.by_pos_hash("ab" * 32) is not None


def test_pending_forwards_counts_paid_unforwarded_sales_and_unanswered_requests(
    journal: Journal,
) -> None:
    assert journal.pending_forwards() == (0, 0)
    waiting = open_sale(journal, tag="a")
    assert journal.pending_forwards() == (0, 0)  # open, unpaid: nothing to forward yet
    journal.mark_received(waiting, NOW + 10)
    assert journal.pending_forwards() == (1, 0)
    attempt = journal.begin_forward_attempt(waiting, ref("a2").hash, NOW + 11)
    assert journal.pending_forwards() == (1, 1)
    journal.finish_forward_attempt(attempt, AttemptOutcome.FAILURE, NOW + 12, "no route")
    assert journal.pending_forwards() == (1, 0)
    journal.mark_forwarded(waiting, NOW + 13)
    assert journal.pending_forwards() == (0, 0)
