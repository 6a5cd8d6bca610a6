"""Benchmark of the whole terminal process: start to READY, idle CPU, memory after many sales.

    python -m terminal.bench.process [--starts 5] [--idle-seconds 60] [--sales 1000]
                                     [--display dummy] [--cpu-quota 25]

It runs the real ``blink-terminal run`` as a subprocess (capture display, stdin keypad) against a
sandbox on loopback, exactly as the end-to-end tests do, and prints one table. Sales go through
the whole money path: keypad, both invoices, the customer pays, detection, the forward.
``--cpu-quota`` runs the terminal (not the sandbox) on that share of one core
(:mod:`terminal.bench.cpulimit`); ``--display dummy`` draws as a panel driver does, without
the desktop's PNG files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from terminal.bench import cpulimit
from terminal.bench.harness import TerminalProcess, poll_until, write_config
from terminal.bench.stats import percentile, print_figures
from terminal.sandbox import Sandbox, SandboxThread
from terminal.sandbox.ledger import Invoice

FORWARDED = "received and forwarded to the merchant"


def start_to_ready(sb: SandboxThread, folder: Path, argv: list[str], display: str) -> float:
    """Seconds from spawning the process to its READY=1."""
    config = write_config(folder, sb, display=display)
    began = time.monotonic()
    with TerminalProcess(config, argv=argv) as terminal:
        terminal.wait_notice("READY=1")
        elapsed = time.monotonic() - began
        terminal.stop()
    return elapsed


def idle_cpu(terminal: TerminalProcess, seconds: float) -> float:
    """CPU seconds the idle terminal used per wall-clock second, as a percentage of one core."""
    proc = psutil.Process(terminal.proc.pid)
    before = proc.cpu_times()
    began = time.monotonic()
    time.sleep(seconds)  # measuring idleness is the point: nothing to wait for
    after = proc.cpu_times()
    wall = time.monotonic() - began
    used = (after.user - before.user) + (after.system - before.system)
    return float(100.0 * used / wall)


async def _pay_latest(sandbox: Sandbox) -> tuple[Invoice | None, str]:
    """``Sandbox.pay_latest`` as a coroutine, so it runs on the loop that owns the ledger."""
    return sandbox.pay_latest()


def run_sales(sb: SandboxThread, terminal: TerminalProcess, count: int) -> list[float]:
    """Drive ``count`` whole sales; return each sale's seconds from keypad to forward."""
    assert sb.sandbox is not None
    sandbox = sb.sandbox
    durations = []
    for n in range(1, count + 1):
        began = time.monotonic()
        terminal.type(f"{100 + n % 900}\n")

        def paid() -> bool:
            # The customer pays the sale's QR as soon as its invoice exists; the ledger
            # belongs to the sandbox's loop, so it is read and paid there, not from this thread.
            invoice, _status = sb.call(_pay_latest(sandbox))
            return invoice is not None

        poll_until(paid, 30, f"sale {n}'s invoice")
        poll_until(
            lambda n=n: terminal.stderr.count(FORWARDED) >= n,  # type: ignore[misc]
            30,
            f"sale {n}'s forward",
        )
        durations.append(time.monotonic() - began)
    return durations


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--display", choices=("capture", "dummy"), default="capture")
    parser.add_argument("--cpu-quota", type=float, default=None, help="percent of one core")
    parser.add_argument("--period-ms", type=float, default=cpulimit.DEFAULT_PERIOD_MS)
    args = parser.parse_args(argv)
    with (
        SandboxThread(host="127.0.0.1", port=0) as sb,
        tempfile.TemporaryDirectory() as tmp,
        cpulimit.quota(args.cpu_quota, args.period_ms) as group,
    ):
        root = Path(tmp)
        run = cpulimit.wrap(group, [sys.executable, "-m", "terminal", "run"])
        starts = [
            start_to_ready(sb, root / f"start{i}", run, args.display) for i in range(args.starts)
        ]
        folder = root / "long"
        config = write_config(folder, sb, display=args.display)
        with TerminalProcess(config, argv=run) as terminal:
            terminal.wait_notice("READY=1")
            rss_ready = psutil.Process(terminal.proc.pid).memory_info().rss
            cpu = idle_cpu(terminal, args.idle_seconds)
            durations = run_sales(sb, terminal, args.sales)
            rss_after = psutil.Process(terminal.proc.pid).memory_info().rss
            terminal.stop()
        if group is not None:
            print(group.describe())
    rows = [
        (f"start to READY, median of {args.starts}", f"{statistics.median(starts):.2f} s"),
        ("start to READY, worst", f"{max(starts):.2f} s"),
        (f"CPU while idle over {args.idle_seconds:.0f} s", f"{cpu:.2f} % of one core"),
        ("RSS at READY", f"{rss_ready / 2**20:.1f} MiB"),
        (f"RSS after {args.sales} sales", f"{rss_after / 2**20:.1f} MiB"),
        ("sale, keypad to forwarded, p50", f"{1000 * percentile(durations, 50):.0f} ms"),
        ("sale, keypad to forwarded, p99", f"{1000 * percentile(durations, 99):.0f} ms"),
    ]
    print_figures(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
