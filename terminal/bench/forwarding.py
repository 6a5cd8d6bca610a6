"""``python -m terminal.bench.forwarding``: how long the terminal itself adds to a sale.

The real terminal (``Terminal`` with its journal on disk, sockets, forwarder and flow) runs in
this process against a sandbox on its own thread, with a fixed latency injected before every
HTTP answer. For N sales it measures, on one monotonic clock:

* confirm → invoice ready to show: OK pressed until the QR screen is handed to the display.
  Injected: one round trip (the two invoices are made at once).
* settlement → pay request received: the customer's payment settled in the sandbox until the
  sandbox received the terminal's ``lnInvoicePaymentSend`` (``ledger.pay_requests`` times).
  Injected: one round trip (the push over the socket carries no injected latency).

The overhead is what is left after the injected round trips: journal fsyncs, the socket push,
the flow and the forwarder's decisions. Nothing here asserts a time; it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.bench.inprocess import next_screen, running_terminal
from terminal.bench.stats import percentile
from terminal.keys import Key
from terminal.screens.model import Idle, ShowInvoice, Success

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaleTiming:
    """One sale's two measured spans, in seconds."""

    confirm_to_qr: float
    settle_to_pay_request: float


async def _sales(sb: Any, folder: Path, count: int) -> list[SaleTiming]:
    pos_wallet = sb.wallet_id("blinkpos")
    timings: list[SaleTiming] = []
    async with running_terminal(sb, folder) as (terminal, screens):
        await next_screen(screens, Idle)
        for n in range(count):
            amount = 1000 + n
            for digit in str(amount):
                terminal.press(Key.from_digit(int(digit)))
            confirmed = time.monotonic()
            terminal.press(Key.OK)
            shown, qr = await next_screen(screens, ShowInvoice)
            seen = len(sb.ledger.pay_requests)
            await asyncio.to_thread(sb.pay, qr.payment_request)
            await next_screen(screens, Success)
            requests = list(sb.ledger.pay_requests)[seen:]
            settled = requests[0].at  # the customer's own payment, settled as it was received
            forward = next(r for r in requests if r.wallet_id == pos_wallet)
            timings.append(SaleTiming(shown - confirmed, forward.at - settled))
            terminal.press(Key.CANCEL)  # dismiss the success screen
            await next_screen(screens, Idle)
    return timings


def table(timings: list[SaleTiming], latency: float) -> str:
    """The report: p50/p99/max per span, and the overhead beyond the injected round trip."""
    rows = [
        ("confirm -> invoice ready to show", [t.confirm_to_qr for t in timings]),
        ("settlement -> pay request received", [t.settle_to_pay_request for t in timings]),
    ]
    lines = [
        f"{len(timings)} sales, injected latency {latency * 1000:.0f} ms per HTTP round trip "
        "(1 on each path)",
        f"{'span (ms)':36} {'p50':>8} {'p99':>8} {'max':>8} {'overhead p50':>13} {'p99':>8}",
    ]
    for name, values in rows:
        p50, p99 = percentile(values, 50), percentile(values, 99)
        lines.append(
            f"{name:36} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {max(values) * 1000:8.1f} "
            f"{(p50 - latency) * 1000:13.1f} {(p99 - latency) * 1000:8.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    from terminal.sandbox import SandboxThread

    parser = argparse.ArgumentParser(prog="python -m terminal.bench.forwarding")
    parser.add_argument("--sales", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per HTTP answer")
    parser.add_argument("--dir", type=Path, default=None, help="journal folder (default: temp)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="blink-bench-"))
    (folder / "state").mkdir(parents=True, exist_ok=True)
    with SandboxThread(host="127.0.0.1", port=0) as sb:
        sb.write_keys(folder / "keys")
        sb.faults.latency = args.latency
        timings = asyncio.run(_sales(sb, folder, args.sales))
    print(f"journal: {folder / 'state'}")
    print(table(timings, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
