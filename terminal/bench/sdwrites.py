"""What the terminal writes to its storage (an SD card on a Pi): per sale, and per hour idle.

    python -m terminal.bench.sdwrites [--sales 200] [--idle-seconds 600] [--folder DIR]

Measured from outside the process, as the card would see it: the real ``blink-terminal run``
(dummy panel, stdin keypad) against a sandbox on loopback, its journal in ``--folder`` (which
must be on a disk, not tmpfs: the kernel counts only writes that reach a block device).

* bytes: ``write_bytes`` of ``/proc/<pid>/io``, the bytes this process caused to be sent to
  the block layer (SQLite's WAL and database pages, the checkpoint; stderr is a pipe here);
* syncs: every ``fdatasync``/``fsync`` the process made, from ``strace -f -e
  trace=fdatasync,fsync`` (each one a flush of the card's write cache). Without strace the
  syncs are not counted (the bytes still are).

Spans: start to READY, the next ``--settle-seconds``, idle (``--idle-seconds``, scaled to an
hour), and ``--sales`` whole sales (keypad, both invoices, the customer pays, detection, the
forward), divided per sale.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

from terminal.bench.harness import TerminalProcess, write_config
from terminal.bench.process import run_sales
from terminal.sandbox import SandboxThread


class Meter:
    """The terminal's bytes written and syncs made so far."""

    def __init__(self, terminal: TerminalProcess, trace: Path | None) -> None:
        self._trace = trace
        proc = psutil.Process(terminal.proc.pid)
        # Under strace the terminal is strace's child: measure the Python process itself.
        children = proc.children() if trace is not None else []
        self.process = children[0] if children else proc

    def read(self) -> tuple[int, int | None]:
        """(bytes written to the block layer, syncs) until now."""
        written = int(self.process.io_counters().write_bytes)
        if self._trace is None:
            return written, None
        text = self._trace.read_text(encoding="utf-8", errors="replace")
        syncs = sum(1 for line in text.splitlines() if "fdatasync(" in line or "fsync(" in line)
        return written, syncs


def _delta(before: tuple[int, int | None], after: tuple[int, int | None]) -> tuple[int, int | None]:
    syncs = None if before[1] is None or after[1] is None else after[1] - before[1]
    return after[0] - before[0], syncs


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--idle-seconds", type=float, default=600.0)
    parser.add_argument("--settle-seconds", type=float, default=15.0)
    parser.add_argument("--folder", type=Path, default=None, help="on a disk (default: a temp)")
    args = parser.parse_args(argv)
    strace = shutil.which("strace")
    with (
        SandboxThread(host="127.0.0.1", port=0) as sb,
        tempfile.TemporaryDirectory(dir=args.folder) as tmp,
    ):
        folder = Path(tmp)
        trace = folder / "syncs.strace" if strace else None
        run = [sys.executable, "-m", "terminal", "run"]
        if strace and trace is not None:
            run = [strace, "-f", "-qq", "-e", "trace=fdatasync,fsync", "-o", str(trace), *run]
        config = write_config(folder, sb, display="dummy", merchant_key=False)
        with TerminalProcess(config, argv=run) as terminal:
            terminal.wait_notice("READY=1")
            meter = Meter(terminal, trace)
            try:
                ready = meter.read()
                # Start-up's tail (the wallets looked up and recorded) is not idleness.
                time.sleep(args.settle_seconds)
                settled = meter.read()
                began = time.monotonic()
                time.sleep(args.idle_seconds)  # idleness is what is measured: nothing to wait for
                idle_wall = time.monotonic() - began
                idle = _delta(settled, meter.read())
                before = meter.read()
                run_sales(sb, terminal, args.sales)
                sales = _delta(before, meter.read())
            finally:
                # The terminal itself, not strace (which would detach and leave it running).
                meter.process.terminate()
            terminal.stop()
    per_hour = 3600.0 / idle_wall
    rows = [
        ("start to READY", f"{ready[0] / 1024:.1f} KiB", _count(ready[1])),
        (
            f"READY to {args.settle_seconds:.0f} s later",
            f"{(settled[0] - ready[0]) / 1024:.1f} KiB",
            _count(_delta(ready, settled)[1]),
        ),
        (
            f"idle, per hour (from {idle_wall:.0f} s)",
            f"{idle[0] * per_hour / 1024:.1f} KiB",
            _count(None if idle[1] is None else idle[1] * per_hour),
        ),
        (
            f"per sale (mean of {args.sales})",
            f"{sales[0] / args.sales / 1024:.1f} KiB",
            _count(None if sales[1] is None else sales[1] / args.sales),
        ),
    ]
    print(f"syncs counted by: {'strace -f -e trace=fdatasync,fsync' if strace else 'nothing'}")
    for name, written, syncs in [("span", "written", "syncs"), *rows]:
        print(f"{name:<32} {written:>12} {syncs:>8}")
    return 0


def _count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
