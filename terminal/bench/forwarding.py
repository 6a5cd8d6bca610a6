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
import contextlib
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.bench.stats import percentile
from terminal.config import parse_config
from terminal.keys import Key
from terminal.screens.model import Idle, ShowInvoice, Success, View
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal

log = logging.getLogger(__name__)

STEP_TIMEOUT = 30.0  # a sale step that takes longer than this means the bench is broken


class _Watched(Peripherals):
    """The real peripherals, noting when each screen is handed to the display."""

    screens: asyncio.Queue[tuple[float, Any]]

    def show_view(self, view: View) -> None:
        """Note the screen and its time, then draw as usual."""
        self.screens.put_nowait((time.monotonic(), view.screen))
        super().show_view(view)


@dataclass(frozen=True)
class SaleTiming:
    """One sale's two measured spans, in seconds."""

    confirm_to_qr: float
    settle_to_pay_request: float


def _config(folder: Path, http_url: str, ws_url: str) -> dict[str, Any]:
    return {
        "terminal": {"name": "Bench", "state_dir": str(folder / "state")},
        "blink": {"api_url": http_url, "ws_url": ws_url, "timeout_seconds": 10.0},
        "blinkpos": {"key_file": str(folder / "keys" / "blinkpos.key")},
        "merchant": {"username": "merchant"},
        "display": {"driver": "dummy"},
        "keypad": {"driver": "none"},
        "indicators": {"driver": "none"},
        "power": {"driver": "none"},
        "gpio": {"pin_factory": "mock"},
    }


async def _next(screens: asyncio.Queue[tuple[float, Any]], kind: type) -> tuple[float, Any]:
    """The next screen of ``kind`` handed to the display, and when."""
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            at, screen = await screens.get()
            if isinstance(screen, kind):
                return at, screen


async def _sales(sb: Any, folder: Path, count: int) -> list[SaleTiming]:
    config = parse_config(_config(folder, sb.http_url, sb.ws_url), path=folder / "terminal.toml")
    peripherals = _Watched.from_config(config)
    assert isinstance(peripherals, _Watched)  # from_config builds the class it is called on
    screens: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
    peripherals.screens = screens
    terminal = Terminal(config, peripherals)
    runner = asyncio.get_running_loop().create_task(terminal.run())
    pos_wallet = sb.wallet_id("blinkpos")
    timings: list[SaleTiming] = []
    try:
        await _next(screens, Idle)
        for n in range(count):
            amount = 1000 + n
            for digit in str(amount):
                terminal.press(Key.from_digit(int(digit)))
            confirmed = time.monotonic()
            terminal.press(Key.OK)
            shown, qr = await _next(screens, ShowInvoice)
            seen = len(sb.ledger.pay_requests)
            await asyncio.to_thread(sb.pay, qr.payment_request)
            await _next(screens, Success)
            requests = list(sb.ledger.pay_requests)[seen:]
            settled = requests[0].at  # the customer's own payment, settled as it was received
            forward = next(r for r in requests if r.wallet_id == pos_wallet)
            timings.append(SaleTiming(shown - confirmed, forward.at - settled))
            terminal.press(Key.CANCEL)  # dismiss the success screen
            await _next(screens, Idle)
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
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
