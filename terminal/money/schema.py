"""The journal's SQLite schema, and sqlite errors turned into messages an operator can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.errors import JournalError
from terminal.money.sale import new_terminal_id

SCHEMA_VERSION = 4

SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sales (
        id TEXT PRIMARY KEY,
        amount_sats INTEGER NOT NULL CHECK (amount_sats > 0),
        memo TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        pos_request TEXT,
        pos_hash TEXT UNIQUE,
        pos_expires_at REAL,
        received_at REAL,
        forwarded_at REAL,
        pos_wallet TEXT,
        merchant_wallet TEXT,
        paid_sats INTEGER,
        tip_sats INTEGER NOT NULL DEFAULT 0,
        tip_wallet TEXT,
        currency TEXT,
        fiat_minor INTEGER,
        tip_minor INTEGER,
        rate TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS sales_by_state ON sales (state, created_at)",
    # Every merchant invoice a sale ever had; the one with replaced_at NULL is the current one.
    """CREATE TABLE IF NOT EXISTS merchant_invoices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL REFERENCES sales (id),
        request TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        expires_at REAL NOT NULL,
        created_at REAL NOT NULL,
        replaced_at REAL,
        verified INTEGER NOT NULL DEFAULT 0,
        role TEXT NOT NULL DEFAULT 'merchant',
        paid_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS merchant_by_sale ON merchant_invoices (sale_id)",
    """CREATE TABLE IF NOT EXISTS forward_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL REFERENCES sales (id),
        merchant_hash TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        outcome TEXT,
        detail TEXT NOT NULL DEFAULT '',
        started_blink REAL
    )""",
    "CREATE INDEX IF NOT EXISTS attempts_by_sale ON forward_attempts (sale_id)",
    # A sale's receipt, marked before the printer is sent anything: at most one receipt per
    # sale, restarts included. A table of its own rather than a column of sales, so that it
    # needs no migration: this statement adds it to a journal of any version.
    """CREATE TABLE IF NOT EXISTS receipts (
        sale_id TEXT PRIMARY KEY REFERENCES sales (id),
        printed_at REAL NOT NULL
    )""",
)

# Primary result codes (https://sqlite.org/rescode.html); extended codes keep these low 8 bits.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


def translate(exc: sqlite3.Error, path: Path) -> JournalError:
    """A JournalError for ``exc`` that says what the operator should do about the file."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary == _SQLITE_FULL:
        advice = "the disk is full: free space on the state directory's file system"
    elif primary == _SQLITE_READONLY:
        advice = (
            "the journal is read-only: check that the file system is mounted read-write and "
            "that the service user owns the state directory"
        )
    elif primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        advice = (
            "the journal is corrupt: stop the terminal, move the file aside (keep it: it may "
            "hold paid sales that still need forwarding) and restart"
        )
    elif primary == _SQLITE_CANTOPEN:
        advice = (
            "the journal cannot be opened: check that the state directory exists and that the "
            "service user may write to it"
        )
    elif primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        advice = "another process holds the journal: run only one terminal per state directory"
    elif primary == _SQLITE_IOERR:
        advice = "the storage reported an I/O error: check or replace the SD card"
    else:
        advice = "check the state directory and its file system"
    return JournalError(f"journal {path}: {advice} ({type(exc).__name__}: {exc})")


# How a journal of each older version becomes the next one, in one transaction with the rest
# of the start-up. Version 2 renamed the sale states that shared a word with Blink's invoice
# status (paid -> received, expired -> lapsed) and the key-refused attempt outcome.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "UPDATE sales SET state = 'received' WHERE state = 'paid'",
        "UPDATE sales SET state = 'lapsed' WHERE state = 'expired'",
        "ALTER TABLE sales RENAME COLUMN paid_at TO received_at",
        "UPDATE forward_attempts SET outcome = 'key_refused' WHERE outcome = 'refused'",
    ),
    # Version 3 locks each sale's destination (its wallets), keeps what Blink said was paid,
    # marks merchant invoices verified with the merchant's key, and times pay requests on
    # Blink's clock.
    2: (
        "ALTER TABLE sales ADD COLUMN pos_wallet TEXT",
        "ALTER TABLE sales ADD COLUMN merchant_wallet TEXT",
        "ALTER TABLE sales ADD COLUMN paid_sats INTEGER",
        "ALTER TABLE merchant_invoices ADD COLUMN verified INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE forward_attempts ADD COLUMN started_blink REAL",
    ),
    # Version 4: a sale may have a tip with a payout of its own (a second invoice role), each
    # payout invoice records when it was paid, and a sale typed in a currency keeps the
    # amount and the rate it was made with.
    3: (
        "ALTER TABLE sales ADD COLUMN tip_sats INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sales ADD COLUMN tip_wallet TEXT",
        "ALTER TABLE sales ADD COLUMN currency TEXT",
        "ALTER TABLE sales ADD COLUMN fiat_minor INTEGER",
        "ALTER TABLE sales ADD COLUMN tip_minor INTEGER",
        "ALTER TABLE sales ADD COLUMN rate TEXT",
        "ALTER TABLE merchant_invoices ADD COLUMN role TEXT NOT NULL DEFAULT 'merchant'",
        "ALTER TABLE merchant_invoices ADD COLUMN paid_at REAL",
        # A forwarded sale's payout invoice was paid: say so in the new column too.
        "UPDATE merchant_invoices SET paid_at = (SELECT forwarded_at FROM sales"
        " WHERE sales.id = merchant_invoices.sale_id) WHERE replaced_at IS NULL"
        " AND sale_id IN (SELECT id FROM sales WHERE state = 'forwarded')",
    ),
}


def initialise(conn: sqlite3.Connection) -> str:
    """Create or migrate the tables; return this terminal's id (made once, on first open)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        version = SCHEMA_VERSION if found is None else _version(conn)
        _require_known(version)
        # Old tables are migrated first; then the statements below add whatever is new.
        while version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
        for statement in SCHEMA:
            conn.execute(statement)
        _set_meta(conn, "schema_version", str(version))
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('terminal_id', ?)",
            (new_terminal_id(),),
        )
        terminal_id = conn.execute("SELECT value FROM meta WHERE key = 'terminal_id'").fetchone()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return str(terminal_id[0])


def _require_known(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"the journal has schema version {version}, this terminal understands up to "
            f"{SCHEMA_VERSION}: install the terminal version that wrote it (or newer)"
        )


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return 1 if row is None else int(row[0])


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
