"""Where a sale's milliseconds go between "Blink settled it" and "the pay request arrived".

The forwarding benchmark's ``--profile`` opens the terminal's journal through
:class:`TimedJournal` (the terminal's own ``open_journal`` injection point, so no money-path
code changes): every journal call is stamped when the loop asks for it, when the journal thread
starts and ends it, and when the loop resumes with its answer. With the sandbox's own stamps for
the settlement and the pay request (one CLOCK_MONOTONIC for every process), one sale's window
splits into:

* push: settlement until the first journal call (the WebSocket frame, JSON, the update parser);
* journal: each call's wait for the thread, its work (a durable commit includes the fsync), and
  the hop back to the loop;
* loop: the gaps between journal calls (the forwarder's decisions, the payout guard's BOLT11
  decode, logging, the flow's events);
* send: the last journal answer until the pay request was received, less the injected latency
  (building and sending the request, the sandbox parsing it).
"""

from __future__ import annotations

import functools
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.money.journal import Journal
from terminal.money.worker import JournalThread


@dataclass(frozen=True)
class JournalCall:
    """One journal call, stamped on one monotonic clock (seconds)."""

    name: str
    asked: float  # the loop called ``journal.call``
    started: float  # the journal thread began it
    ended: float  # the journal thread finished it (a write: committed and fsynced)
    resumed: float  # the awaiting coroutine runs again


class TimedJournal(JournalThread):
    """The terminal's journal thread, stamping every call into :attr:`calls`."""

    def __init__(self, executor: ThreadPoolExecutor, journal: Journal) -> None:
        super().__init__(executor, journal)
        self.calls: list[JournalCall] = []

    @classmethod
    def opener(cls, commit_delay: float = 0.0) -> Callable[[Path], JournalThread]:
        """An ``open_journal`` for :class:`~terminal.shell.runtime.Terminal`."""

        def open_timed(path: Path) -> JournalThread:
            return cls.start(path, commit_delay=commit_delay)

        return open_timed

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``method`` on the journal's thread as usual, stamping the four moments."""
        asked = time.monotonic()
        stamps: list[float] = []

        def stamped(journal: Journal, *a: Any, **k: Any) -> Any:
            stamps.append(time.monotonic())
            try:
                return method(journal, *a, **k)
            finally:
                stamps.append(time.monotonic())

        functools.update_wrapper(stamped, method)
        result = await super().call(stamped, *args, **kwargs)
        self.calls.append(
            JournalCall(method.__name__, asked, stamps[0], stamps[1], time.monotonic())
        )
        return result


@dataclass(frozen=True)
class Breakdown:
    """One sale's settlement → pay request window, split (seconds)."""

    push: float  # before the first journal call
    queue: float  # journal calls waiting for the thread (behind other calls)
    work: dict[str, float]  # per journal method: time on the journal thread
    hop: float  # journal thread done → the loop resumes
    loop: float  # between journal calls, on the loop
    send: float  # after the last journal call, less the injected latency
    calls: list[JournalCall]


def split(
    calls: list[JournalCall], start: float, end: float, latency: float, *, tail: bool = True
) -> Breakdown:
    """Split one sale's window (settlement → pay request, or OK → QR) by its journal calls.

    The injected ``latency`` is taken off the part after the last call (``tail``: the pay
    request), or off the loop's part (the invoices are made between two journal calls).
    """
    window = sorted((c for c in calls if start <= c.asked <= end), key=lambda c: c.asked)
    if not window:
        return Breakdown(end - start - latency, 0.0, {}, 0.0, 0.0, 0.0, [])
    work: dict[str, float] = defaultdict(float)
    queue = hop = loop = 0.0
    busy_until = window[0].asked
    for call in window:
        # Overlapping calls (two tasks at once) count once: only time not yet accounted for.
        loop += max(0.0, call.asked - busy_until)
        queue += max(0.0, call.started - max(call.asked, busy_until))
        work[call.name] += max(0.0, call.ended - max(call.started, busy_until))
        hop += max(0.0, call.resumed - max(call.ended, busy_until))
        busy_until = max(busy_until, call.resumed)
    return Breakdown(
        push=window[0].asked - start,
        queue=queue,
        work=dict(work),
        hop=hop,
        loop=loop if tail else loop - latency,
        send=end - busy_until - (latency if tail else 0.0),
        calls=window,
    )


SETTLEMENT = ("push (socket frame, parse)", "send (request out, Blink parses)")
CONFIRM = ("OK key -> first journal call", "last journal call -> QR handed over")


def report(breakdowns: list[Breakdown], window: str, labels: tuple[str, str] = SETTLEMENT) -> str:
    """Median and mean of every part over the sales, and one typical sale's journal calls."""
    if not breakdowns:
        return "no sales to break down"
    parts: dict[str, list[float]] = defaultdict(list)
    methods = sorted({name for b in breakdowns for name in b.work})
    for b in breakdowns:
        parts[labels[0]].append(b.push)
        parts["journal: waiting for the thread"].append(b.queue)
        for name in methods:
            parts[f"journal: {name}"].append(b.work.get(name, 0.0))
        parts["journal: hop back to the loop"].append(b.hop)
        parts["loop between journal calls"].append(b.loop)
        parts[labels[1]].append(b.send)
    lines = [f"{'part of ' + window + ' (ms)':42} {'median':>7} {'mean':>7}"]
    for name, values in parts.items():
        lines.append(
            f"{name:42} {statistics.median(values) * 1000:7.2f} "
            f"{statistics.fmean(values) * 1000:7.2f}"
        )
    counts = [len(b.calls) for b in breakdowns]
    lines.append(f"journal calls in the window: median {statistics.median(counts):.0f}")
    typical = sorted(breakdowns, key=lambda b: b.push + b.queue + b.hop + b.loop + b.send)
    sale = typical[len(typical) // 2]
    if sale.calls:
        origin = sale.calls[0].asked - sale.push
        lines.append("a typical sale, ms into the window: asked / started / ended / resumed")
        lines.extend(
            f"  {c.name:24} {(c.asked - origin) * 1000:6.2f} {(c.started - origin) * 1000:6.2f} "
            f"{(c.ended - origin) * 1000:6.2f} {(c.resumed - origin) * 1000:6.2f}"
            for c in sale.calls
        )
    return "\n".join(lines)
