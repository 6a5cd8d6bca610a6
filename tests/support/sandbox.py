"""Sandbox fixtures: a local Blink per test, on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from terminal.sandbox import Sandbox, SandboxThread


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A started sandbox on this test's event loop; stopped afterwards."""
    sb = Sandbox(host="127.0.0.1", port=0)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
def sandbox_thread() -> Iterator[SandboxThread]:
    """A started sandbox on its own thread and loop, for synchronous and subprocess tests."""
    with SandboxThread(host="127.0.0.1", port=0) as sb:
        yield sb
