"""Fixtures for the fault tests: a sandbox on its own thread and a terminal harness beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.sandbox import SandboxThread
from terminal.sandbox.server import TIP_RECIPIENT
from tests.faults.harness import Harness


@pytest.fixture
def harness(sandbox_thread: SandboxThread, tmp_path: Path) -> Iterator[Harness]:
    """A terminal (not yet started) configured for this test's sandbox; stopped afterwards."""
    rig = Harness(sandbox_thread, tmp_path / "terminal")
    try:
        yield rig
    finally:
        rig.close()


@pytest.fixture
def tipping(sandbox_thread: SandboxThread, tmp_path: Path) -> Iterator[Harness]:
    """A terminal that offers tips and pays them to the sandbox's tip recipient."""
    rig = Harness(sandbox_thread, tmp_path / "terminal", tips_to=TIP_RECIPIENT)
    try:
        yield rig
    finally:
        rig.close()
