"""The journal's worker thread: calls run there, in order, and a failed open leaves nothing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from terminal.errors import JournalError
from terminal.money.journal import Journal
from terminal.money.worker import JournalThread


async def test_every_call_runs_on_the_journal_thread_in_the_order_made(tmp_path: Path) -> None:
    thread = JournalThread.start(tmp_path)
    seen: list[tuple[str, int]] = []

    def note(journal: Journal, n: int) -> int:
        seen.append((threading.current_thread().name, n))
        return journal.begin_sale(100 + n, "memo", 1.0).amount_sats

    try:
        amounts = await asyncio.gather(*(thread.call(note, n) for n in range(20)))
    finally:
        thread.close()
    assert amounts == [100 + n for n in range(20)]
    assert [n for _, n in seen] == list(range(20))  # first in, first out
    assert {name for name, _ in seen} != {threading.current_thread().name}
    assert all(name.startswith("journal") for name, _ in seen)


def test_a_journal_that_cannot_be_opened_says_why(tmp_path: Path) -> None:
    not_a_journal = tmp_path / "journal.sqlite3"
    not_a_journal.write_bytes(b"this is not a database, it is a shopping list" * 100)
    with pytest.raises(JournalError, match="corrupt"):
        JournalThread.start(not_a_journal)
