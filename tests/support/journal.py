"""Journal fixture: a real SQLite journal in the test's temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.money.journal import Journal
from terminal.money.worker import JournalThread


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A journal opened in ``tmp_path``; closed afterwards."""
    j = Journal.open(tmp_path)
    yield j
    j.close()


@pytest.fixture
def journal_thread(tmp_path: Path) -> Iterator[JournalThread]:
    """The same journal file on its worker thread, as the running terminal holds it."""
    thread = JournalThread.start(tmp_path)
    yield thread
    thread.close()
