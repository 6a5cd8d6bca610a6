"""Flaky mobile data for about two minutes: many sales, 0 lost, 0 doubled, all forwarded.

The schedule (``tests/faults/flaky.py``): the network on and off every few seconds, a 20 s gap,
HTTP up with the WebSocket down, and the reverse. The figures are printed (``pytest -s``); a
longer soak is ``python -m tests.faults.flaky --minutes N``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.sandbox import SandboxThread
from tests.faults.flaky import run
from tests.faults.harness import Harness


@pytest.mark.slow
def test_sales_on_flaky_data_are_forwarded_exactly_once(
    sandbox_thread: SandboxThread, tmp_path: Path
) -> None:
    # Debug: the terminal logs each figure it gives the status bar ("sats in flight: N").
    harness = Harness(sandbox_thread, tmp_path / "terminal", log_level="debug")
    try:
        figures = run(harness)
    finally:
        harness.close()
    print(figures.report())
    assert figures.verdict is not None
    assert figures.verdict.clean, figures.verdict
    assert figures.paid >= 20, "too few sales to mean anything"
    assert figures.refused >= 1, "the cuts never refused a sale: they did not bite"
    assert figures.verdict.paid == figures.paid
    assert figures.verdict.forwarded_once == figures.paid
    assert figures.max_in_flight_sats > 0, "no sale ever waited for the network"
    assert figures.max_shown_in_flight_sats > 0, "the status bar never showed sats in flight"
    assert figures.last_shown_in_flight_sats == 0
    assert harness.sb.balance("merchant") == figures.paid_sats
    assert harness.sb.balance("blinkpos") == 0
