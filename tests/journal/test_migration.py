"""A journal written by an older terminal is migrated in place, its sales intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.errors import JournalError
from terminal.money.journal import Journal
from terminal.money.sale import AttemptOutcome, SaleState
from terminal.money.schema import SCHEMA_VERSION

# The version-1 tables, as the first release wrote them.
V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sales (
    id TEXT PRIMARY KEY, amount_sats INTEGER NOT NULL CHECK (amount_sats > 0), memo TEXT NOT NULL,
    state TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL, pos_request TEXT,
    pos_hash TEXT UNIQUE, pos_expires_at REAL, paid_at REAL, forwarded_at REAL);
CREATE INDEX sales_by_state ON sales (state, created_at);
CREATE TABLE merchant_invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sale_id TEXT NOT NULL REFERENCES sales (id),
    request TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, expires_at REAL NOT NULL,
    created_at REAL NOT NULL, replaced_at REAL);
CREATE TABLE forward_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sale_id TEXT NOT NULL REFERENCES sales (id),
    merchant_hash TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL, outcome TEXT,
    detail TEXT NOT NULL DEFAULT '');
INSERT INTO meta VALUES ('schema_version', '1'), ('terminal_id', 'tabcdef1234');
"""


def write_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    for n, state in enumerate(["paid", "expired", "forwarded", "open"], start=1):
        conn.execute(
            "INSERT INTO sales VALUES (?, 1000, 'memo', ?, 1.0, 2.0, 'lnbcpos', ?, 900.0, ?, NULL)",
            (f"sale-{n}", state, f"{n:064x}", 3.0 if state in ("paid", "forwarded") else None),
        )
        conn.execute(
            "INSERT INTO merchant_invoices (sale_id, request, hash, expires_at, created_at)"
            " VALUES (?, 'lnbcm', ?, 90000.0, 1.0)",
            (f"sale-{n}", f"{n + 100:064x}"),
        )
    conn.execute(
        "INSERT INTO forward_attempts (sale_id, merchant_hash, started_at, finished_at, outcome)"
        " VALUES ('sale-1', ?, 4.0, 5.0, 'refused')",
        (f"{101:064x}",),
    )
    conn.commit()
    conn.close()


def test_a_version_1_journal_is_migrated_with_every_sale_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_v1(path)
    journal = Journal.open(path)
    try:
        states = {sale.id: sale.state for sale in journal.recent(10)}
        assert states == {
            "sale-1": SaleState.RECEIVED,
            "sale-2": SaleState.LAPSED,
            "sale-3": SaleState.FORWARDED,
            "sale-4": SaleState.OPEN,
        }
        assert journal.terminal_id == "tabcdef1234"  # the id survives: sale ids stay unique
        assert journal.sale("sale-1").received_at == 3.0
        assert [s.id for s in journal.unforwarded_received()] == ["sale-1"]
        assert journal.attempts("sale-1")[0].outcome is AttemptOutcome.KEY_REFUSED
    finally:
        journal.close()
    version = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='schema_version'")
    assert int(version.fetchone()[0]) == SCHEMA_VERSION


def test_opening_twice_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_v1(path)
    Journal.open(path).close()
    journal = Journal.open(path)
    try:
        assert journal.sale("sale-2").state is SaleState.LAPSED
    finally:
        journal.close()


def test_a_journal_from_a_newer_terminal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="schema version 99"):
        Journal.open(path)
