"""The journal's SQLite schema, and sqlite errors turned into messages an operator can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.errors import JournalError
from terminal.money.sale import new_terminal_id

SCHEMA_VERSION = "1"

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
        paid_at REAL,
        forwarded_at REAL
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
        replaced_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS merchant_by_sale ON merchant_invoices (sale_id)",
    """CREATE TABLE IF NOT EXISTS forward_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL REFERENCES sales (id),
        merchant_hash TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        outcome TEXT,
        detail TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS attempts_by_sale ON forward_attempts (sale_id)",
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


def initialise(conn: sqlite3.Connection) -> str:
    """Create the tables if missing; return this terminal's id (made once, on first open)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('terminal_id', ?)",
            (new_terminal_id(),),
        )
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        terminal_id = conn.execute("SELECT value FROM meta WHERE key = 'terminal_id'").fetchone()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if version[0] != SCHEMA_VERSION:
        raise JournalError(
            f"the journal has schema version {version[0]}, this terminal understands "
            f"{SCHEMA_VERSION}: install the matching terminal version"
        )
    return str(terminal_id[0])
