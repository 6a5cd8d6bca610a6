"""Journal fixture: a real SQLite journal in the test's temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.money.journal import Journal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A journal opened in ``tmp_path``; closed afterwards."""
    j = Journal.open(tmp_path)
    yield j
    j.close()
