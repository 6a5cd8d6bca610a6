"""Many sales on a stall's flaky mobile data: the sandbox cuts the network in patterns meanwhile.

A cutter thread plays a schedule of network states on the sandbox (both halves down, HTTP up
with the WebSocket down, and the reverse), while the main thread keeps selling: it types a sale,
pays every sale whose invoices were journaled (the customer's wallet is elsewhere: its payment
never depends on the stall's network), and moves on; a sale the terminal refuses (not ready,
invoices not made) is simply not paid. At the end the network comes back for good and every paid
sale must be forwarded; the sandbox's ledger then proves 0 lost, 0 doubled.

``python -m tests.faults.flaky --minutes 10`` repeats the schedule for that long (a soak) and
prints the figures; ``tests/faults/test_flaky_network.py`` runs it once, in about two minutes.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal.sandbox import SandboxThread
from tests.faults.harness import Harness
from tests.faults.ledger_check import Verdict, check_exactly_once, read_book


@dataclass(frozen=True)
class Cut:
    """One step of a schedule: each half of the network up or down, for so many seconds."""

    http: bool
    ws: bool
    seconds: float

    def describe(self) -> str:
        """``both down 2s``, ``HTTP up, WebSocket down 10s``..."""
        if self.http == self.ws:
            return f"both {'up' if self.http else 'down'} {self.seconds:g}s"
        half = {True: "up", False: "down"}
        return f"HTTP {half[self.http]}, WebSocket {half[self.ws]} {self.seconds:g}s"


UP = Cut(http=True, ws=True, seconds=4)
# Mobile data coming and going every few seconds, a long gap (a tunnel of a market hall), and
# each half of the network failing alone (a proxy that drops WebSockets; a socket that outlives
# the HTTP path), each followed by a short spell of network.
SCHEDULE: tuple[tuple[str, tuple[Cut, ...]], ...] = (
    ("on/off every few seconds", (Cut(False, False, 2), Cut(True, True, 3)) * 5),
    ("long gap", (Cut(False, False, 20), UP)),
    ("HTTP up, WebSocket down", (Cut(True, False, 10), UP)),
    ("WebSocket up, HTTP down", (Cut(False, True, 10), UP)),
)
# The run ends in an outage that sales were paid into, so "drain" times the return itself.
LAST = ("the end: HTTP down, WebSocket up", (Cut(False, True, 10),))


# How long customers take to pay once the QR is up, in turn.
SCAN_SECONDS = (0.0, 0.0, 0.5, 1.5)


@dataclass
class Figures:
    """What a run did and measured."""

    seconds: float = 0.0
    typed: int = 0  # sales typed on the keypad
    refused: int = 0  # no invoices journaled in time: not ready, or Blink unreachable
    paid: int = 0
    paid_sats: int = 0
    max_in_flight_sats: int = 0  # from the journal, between sales
    max_shown_in_flight_sats: int = 0  # what the status bar was given (the terminal's log)
    last_shown_in_flight_sats: int = -1
    drain_seconds: float = 0.0  # network back for good (last cut over) until nothing is owed
    cuts: list[str] = field(default_factory=list)
    passes: int = 0  # of the schedule, before the last outage
    verdict: Verdict | None = None

    def report(self) -> str:
        """The figures, a few lines for the docs."""
        return "\n".join(
            [
                f"duration {self.seconds:.0f} s; schedule ({self.passes} passes, then the last): "
                f"{'; '.join(self.cuts)}",
                f"sales typed {self.typed}, refused {self.refused}, paid {self.paid} "
                f"({self.paid_sats:,} sats)",
                f"max sats in flight {self.max_in_flight_sats:,} (journal), "
                f"{self.max_shown_in_flight_sats:,} (status bar); "
                f"status bar at the end {self.last_shown_in_flight_sats:,}",
                f"drain after the network returned: {self.drain_seconds:.1f} s",
                f"ledger: {self.verdict}",
            ]
        )


class Cutter(threading.Thread):
    """Plays the schedule on the sandbox's network until stopped, then leaves it up."""

    def __init__(self, sb: SandboxThread, minutes: float | None) -> None:
        super().__init__(name="cutter", daemon=True)
        self._sb = sb
        self._minutes = minutes
        self._halt = threading.Event()
        self.passes = 0
        self.back_at = 0.0  # monotonic time the network came back for good

    def run(self) -> None:
        """One pass of the schedule (or passes until ``minutes``), then the network up."""
        end = None if self._minutes is None else time.monotonic() + self._minutes * 60
        try:
            while not self._halt.is_set():
                self.passes += 1
                for _name, cuts in SCHEDULE:
                    if not self._play(cuts):
                        return
                if end is None or time.monotonic() >= end:
                    break
            self._play(LAST[1])
        finally:
            self._sb.faults.set_network(http=True, ws=True)
            self.back_at = time.monotonic()

    def _play(self, cuts: tuple[Cut, ...]) -> bool:
        """Play ``cuts``; False if stopped meanwhile."""
        for cut in cuts:
            self._sb.faults.set_network(http=cut.http, ws=cut.ws)
            if self._halt.wait(cut.seconds):
                return False
        return True

    def stop(self) -> None:
        """End the schedule early (the network comes back up)."""
        self._halt.set()


def _owed_sats(harness: Harness) -> int:
    return sum(s.amount for s in harness.journal().values() if s.state == "received")


def _shown_in_flight(log: str) -> list[int]:
    """Every figure the status bar was given, in order (the terminal logs each at debug)."""
    return [int(n) for n in re.findall(r"sats in flight: (\d+)", log)]


def _sell_one(harness: Harness, amount: int, scan_seconds: float, figures: Figures) -> None:
    """Type one sale; pay it if its invoices are journaled soon; note a refusal otherwise.

    The customer pays ``scan_seconds`` after the invoices are made (scanning, thinking): a
    cut may come in between, so the payment lands while the terminal cannot hear it.
    """
    figures.typed += 1
    try:
        # Short: a refused sale shows no invoices at all, and the schedule moves on meanwhile.
        sale = harness.open_sale(amount, timeout=3.0)
    except AssertionError:
        figures.refused += 1
        return
    time.sleep(scan_seconds)  # the customer's pace, not a wait for the terminal
    assert harness.pay(sale) == "SUCCESS"
    figures.paid += 1
    figures.paid_sats += amount


def run(harness: Harness, minutes: float | None = None) -> Figures:
    """Sell through the schedule (``minutes``: repeat it that long); figures of the whole run."""
    figures = Figures()
    assert harness.start()
    cutter = Cutter(harness.sb, minutes)
    started = time.monotonic()
    cutter.start()
    amount = 1000
    while cutter.is_alive():
        amount += 1  # every sale its own amount: a doubled or lost one shows in the balances
        _sell_one(harness, amount, SCAN_SECONDS[amount % len(SCAN_SECONDS)], figures)
        figures.max_in_flight_sats = max(figures.max_in_flight_sats, _owed_sats(harness))
    cutter.join()
    harness.wait_nothing_owed(timeout=120.0)  # scaled by the harness
    figures.drain_seconds = time.monotonic() - cutter.back_at
    figures.seconds = time.monotonic() - started
    # The status bar's figure reaches zero too (it is re-read while anything is owed).
    harness.wait_for(
        lambda: (_shown_in_flight(harness.log_text()) or [-1])[-1] == 0,
        "the status bar's sats in flight back to zero",
    )
    assert harness.stop() == 0
    shown = _shown_in_flight(harness.log_text())
    figures.max_shown_in_flight_sats = max(shown, default=0)
    figures.last_shown_in_flight_sats = shown[-1] if shown else -1
    figures.cuts = [
        f"{name}: {', '.join(c.describe() for c in cuts[:2])}" for name, cuts in (*SCHEDULE, LAST)
    ]
    figures.passes = cutter.passes
    figures.verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    return figures


def main(argv: list[str] | None = None) -> int:
    """The soak: ``--minutes`` of the schedule against a fresh sandbox; print the figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.faults.flaky")
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="flaky-") as folder,
        SandboxThread(host="127.0.0.1", port=0) as sb,
    ):
        harness = Harness(sb, Path(folder) / "terminal", log_level="debug")
        try:
            figures = run(harness, args.minutes)
        finally:
            harness.close()
    print(figures.report())
    assert figures.verdict is not None
    return 0 if figures.verdict.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
