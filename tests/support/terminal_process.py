"""The terminal as a subprocess, with the test suite's time scale applied to every wait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from terminal.bench import harness
from terminal.bench.harness import TerminalDied, write_config
from tests.support.timing import TIME_SCALE

__all__ = ["TerminalDied", "TerminalProcess", "poll_until", "write_config"]


def TerminalProcess(config: Path, **options: Any) -> harness.TerminalProcess:
    """``harness.TerminalProcess`` whose waits stretch with ``BLINK_TEST_TIME_SCALE``."""
    return harness.TerminalProcess(config, time_scale=TIME_SCALE, **options)


def poll_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """``harness.poll_until`` with the suite's time scale."""
    harness.poll_until(condition, timeout, what, time_scale=TIME_SCALE)
