"""``python -m terminal.bench.journal_latency``: does a slow disk stall the terminal's loop?

On an SD card one durable commit (an fsync) can take tens of milliseconds. The terminal keeps
its journal on a worker thread (terminal/money/worker.py) so that the countdown, the keypad and
the socket's pongs never wait for one. This benchmark shows it: the real terminal runs in this
process against a sandbox, every journal commit is made ``--fsync-ms`` slower (a stand-in for
the card: the commit sleeps on the thread that made it), and while sales run it measures

* loop lag: how late a 10 ms ticker on the event loop fires (what a frame or a keypress waits);
* key to screen: a digit pressed until its amount screen is handed to the display;
* confirm to QR: OK pressed until the QR screen is handed to the display.

Each figure is taken twice: with the journal on its worker thread (as the terminal runs), and
with the same journal called inline on the loop (as before the worker existed), for comparison.
Nothing is asserted; it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from terminal.bench import cpulimit
from terminal.bench.inprocess import drawn, next_screen, running_terminal
from terminal.bench.sandbox_process import SandboxProcess
from terminal.bench.stats import percentile
from terminal.keys import Key
from terminal.money.journal import Journal
from terminal.money.worker import JournalThread
from terminal.screens.model import AmountEntry, Idle, ShowInvoice, Success

P = ParamSpec("P")
T = TypeVar("T")

TICK = 0.010


class JournalOnTheLoop(JournalThread):
    """The journal called inline on the event loop: how it was before the worker, for comparison."""

    def __init__(self, path: Path, commit_delay: float) -> None:
        self._inline_path = path
        self._delay = commit_delay
        self._inline: Journal | None = None

    async def call(
        self, method: Callable[Concatenate[Journal, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``method`` right here, on the loop, blocking it for as long as it takes."""
        if self._inline is None:  # opened on the loop's thread, which then uses it
            self._inline = Journal.open(self._inline_path, commit_delay=self._delay)
        return method(self._inline, *args, **kwargs)

    def close(self) -> None:
        """Close the journal (from the shutdown's thread sqlite refuses; then the GC closes it)."""
        if self._inline is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):
                self._inline.close()


@dataclass
class Figures:
    """What one run measured, in seconds."""

    lag: list[float] = field(default_factory=list)
    key_to_screen: list[float] = field(default_factory=list)
    confirm_to_qr: list[float] = field(default_factory=list)
    qr_lag: list[float] = field(default_factory=list)  # ticks while the QR is laid out and drawn


async def _ticker(lag: list[float]) -> None:
    expected = time.monotonic() + TICK
    while True:
        await asyncio.sleep(max(0.0, expected - time.monotonic()))
        now = time.monotonic()
        lag.append(max(0.0, now - expected))
        expected = max(expected + TICK, now)


Opener = Callable[[Path], JournalThread]


async def _run(sb: Any, folder: Path, sales: int, opener: Opener) -> Figures:
    figures = Figures()
    async with running_terminal(sb, folder, open_journal=opener) as (terminal, screens, hw):
        await next_screen(screens, Idle)
        ticker = asyncio.get_running_loop().create_task(_ticker(figures.lag))
        try:
            for n in range(sales):
                for digit in str(1000 + n):
                    pressed = time.monotonic()
                    terminal.press(Key.from_digit(int(digit)))
                    shown, _ = await next_screen(screens, AmountEntry)
                    figures.key_to_screen.append(shown - pressed)
                confirmed = time.monotonic()
                terminal.press(Key.OK)
                ticks = len(figures.lag)
                shown, qr = await next_screen(screens, ShowInvoice)
                figures.confirm_to_qr.append(shown - confirmed)
                # The display thread lays the QR out (segno, pure Python): the GIL it holds is
                # time the loop waits. The customer pays what is drawn.
                await drawn(hw.frames, qr)
                figures.qr_lag.extend(figures.lag[ticks:])
                await asyncio.to_thread(sb.pay, qr.payment_request)
                await next_screen(screens, Success)
                terminal.press(Key.CANCEL)
                await next_screen(screens, Idle)
        finally:
            ticker.cancel()
    return figures


def _ms(values: list[float]) -> str:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return f"{p50 * 1000:7.1f} {p99 * 1000:7.1f} {max(values) * 1000:7.1f}"


def _openers(delay: float) -> dict[str, Opener]:
    def on_worker(path: Path) -> JournalThread:
        return JournalThread.start(path, commit_delay=delay)

    def on_loop(path: Path) -> JournalThread:
        return JournalOnTheLoop(path, delay)

    return {"worker thread": on_worker, "on the loop": on_loop}


def main(argv: list[str] | None = None) -> int:
    """Run both journals at each fsync latency and print the table."""
    parser = argparse.ArgumentParser(prog="python -m terminal.bench.journal_latency")
    parser.add_argument("--sales", type=int, default=30)
    parser.add_argument("--fsync-ms", type=float, nargs="+", default=[0.0, 50.0])
    parser.add_argument("--cpu-quota", type=float, default=None, help="percent of one core")
    parser.add_argument("--period-ms", type=float, default=cpulimit.DEFAULT_PERIOD_MS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    rows: list[tuple[str, float, Figures]] = []
    # The sandbox in its own process: Blink's work is not the terminal's, and not under the quota.
    with SandboxProcess() as sb, cpulimit.quota(args.cpu_quota, args.period_ms) as group:
        if group is not None:
            group.join()
        try:
            for fsync_ms in args.fsync_ms:
                openers = _openers(fsync_ms / 1000.0)
                for mode, opener in openers.items():
                    with tempfile.TemporaryDirectory(prefix="blink-bench-") as tmp:
                        folder = Path(tmp)
                        (folder / "state").mkdir()
                        sb.write_keys(folder / "keys")
                        figures = asyncio.run(_run(sb, folder, args.sales, opener))
                    rows.append((mode, fsync_ms, figures))
        finally:
            if group is not None:
                group.leave()
                print(group.describe())
    print(f"{args.sales} sales per row; each journal commit made slower by the fsync figure")
    print(
        f"{'journal':14} {'fsync':>6} | {'loop lag p50/p99/max (ms)':>25} | "
        f"{'key to screen (ms)':>23} | {'confirm to QR (ms)':>23} | "
        f"{'lag while QR drawn':>23}"
    )
    for mode, fsync_ms, f in rows:
        print(
            f"{mode:14} {fsync_ms:4.0f}ms | {_ms(f.lag):>25} | "
            f"{_ms(f.key_to_screen):>23} | {_ms(f.confirm_to_qr):>23} | {_ms(f.qr_lag):>23}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
