"""Shared test set-up. Area-specific fixtures live in ``tests/support/`` and load as plugins."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# No timing in tests: Hypothesis' per-example deadline would turn a slow machine into a failure.
# On CI, Hypothesis loads its own "ci" profile (no deadline, derandomized) by itself.
settings.register_profile("dev", deadline=None)
if not os.environ.get("CI"):
    settings.load_profile("dev")

pytest_plugins = [
    "tests.support.sandbox",
    "tests.support.gpio",
    "tests.support.journal",
]


def pytest_report_header() -> str:
    scale = os.environ.get("BLINK_TEST_TIME_SCALE", "1")
    return f"blink-terminal: BLINK_TEST_TIME_SCALE={scale}"


@pytest.fixture(autouse=True)
def _no_credentials_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a developer's real systemd credentials."""
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
