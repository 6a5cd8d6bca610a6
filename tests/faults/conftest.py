"""Fixtures for the fault tests: a sandbox on its own thread and a terminal harness beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.sandbox import SandboxThread
from tests.faults.harness import Harness


@pytest.fixture
def harness(sandbox_thread: SandboxThread, tmp_path: Path) -> Iterator[Harness]:
    """A terminal (not yet started) configured for this test's sandbox; stopped afterwards."""
    rig = Harness(sandbox_thread, tmp_path / "terminal")
    try:
        yield rig
    finally:
        rig.close()
