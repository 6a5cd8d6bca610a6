"""``python -m terminal.bench.forwarding``: how long the terminal itself adds to a sale.

The real terminal (``Terminal`` with its journal on disk, sockets, forwarder and flow) runs in
this process against a sandbox in another process (so Blink's own work never shares this
process's CPU), with a fixed latency injected before every HTTP answer. For N sales at each
latency it measures, on one monotonic clock (CLOCK_MONOTONIC is shared by every process):

* confirm → QR handed to the display: OK pressed until the QR screen is handed to the display
  worker. Injected: one round trip (the two invoices are made at once).
* confirm → QR drawn: the same, until the display thread has laid out the QR and drawn the frame.
* settlement → pay request received: the customer's payment settled in the sandbox until the
  sandbox received the terminal's ``lnInvoicePaymentSend``. Injected: one round trip (the push
  over the socket carries no injected latency). The customer pays once the QR is drawn.
* settlement → pay request reached Blink: the same, until the request reached the sandbox's HTTP
  handler, plus the injected latency. It leaves out what "received" counts but the terminal does
  not do: the sandbox's GraphQL parsing and validation (2-10 ms of graphql-core here) and its
  loop's lateness in ending the injected wait (Blink's work, on another machine).
* confirm → QR handed, less Blink's work: confirm → QR handed to the display, less the time from
  the first invoice request reaching the sandbox to its last invoice answer (the injected
  latency, GraphQL parsing, making and signing the invoices), plus the injected latency: what
  is left is the terminal's own part (its overhead is this span less the latency).

The overhead is what is left after the injected round trip. ``--profile`` splits the settlement
window (:mod:`terminal.bench.timeline`); ``--cprofile`` prints the loop thread's cProfile (and
slows pure Python about threefold, so its run's times are not the figures). ``--fsync-ms`` makes
every journal commit slower (an SD card); ``--cpu-quota 25`` runs this process (not the sandbox)
on a quarter of one core (:mod:`terminal.bench.cpulimit`). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from terminal.bench import cpulimit
from terminal.bench.inprocess import drawn, next_screen, running_terminal
from terminal.bench.sandbox_process import SandboxProcess
from terminal.bench.stats import percentile
from terminal.bench.timeline import CONFIRM, Breakdown, TimedJournal, report, split
from terminal.keys import Key
from terminal.money.worker import JournalThread
from terminal.screens.model import Idle, ShowInvoice, Success

log = logging.getLogger(__name__)

PAY_OPERATION = "LnInvoicePaymentSend"  # the operation name of the forwarder's pay request
INVOICE_OPERATIONS = frozenset({"LnInvoiceCreate", "LnInvoiceCreateOnBehalfOfRecipient"})


def blink_share(served: list[tuple[str, float, float | None]], start: float, end: float) -> float:
    """Seconds from the first invoice request reaching the sandbox to its last invoice answer,
    among those that arrived between ``start`` and ``end`` (the sale's invoices, made at once)."""
    spans = [
        (at, done)
        for op, at, done in served
        if op in INVOICE_OPERATIONS and start <= at <= end and done is not None
    ]
    if not spans:
        return 0.0
    return max(done for _, done in spans) - min(at for at, _ in spans)


@dataclass(frozen=True)
class SaleTiming:
    """One sale's measured spans, in seconds, and (with ``--profile``) its settlement window."""

    confirm_to_qr: float
    confirm_to_drawn: float
    settle_to_pay_request: float
    settle_to_pay_arrived: float
    confirm_to_qr_own: float
    settlement: Breakdown | None = None  # with --profile: the settlement window, split
    confirm: Breakdown | None = None  # with --profile: OK to the QR handed over, split


@dataclass
class Journals:
    """Opens the terminal's journal with a commit delay; keeps it when it is a timed one."""

    commit_delay: float
    timed: bool
    opened: JournalThread | None = None

    def __call__(self, path: Path) -> JournalThread:
        """The terminal's ``open_journal``."""
        kind = TimedJournal if self.timed else JournalThread
        self.opened = kind.start(path, commit_delay=self.commit_delay)
        return self.opened


async def _sales(
    sb: SandboxProcess, folder: Path, count: int, latency: float, journals: Journals
) -> list[SaleTiming]:
    pos_wallet = sb.wallet_id("blinkpos")
    timings: list[SaleTiming] = []
    seen = len(await asyncio.to_thread(sb.pay_requests))
    async with running_terminal(sb, folder, open_journal=journals) as (terminal, screens, hw):
        await next_screen(screens, Idle)
        for n in range(count):
            for digit in str(1000 + n):
                terminal.press(Key.from_digit(int(digit)))
            confirmed = time.monotonic()
            terminal.press(Key.OK)
            shown, qr = await next_screen(screens, ShowInvoice)
            # The customer scans what is on the glass: pay once the frame is drawn.
            drawn_at = await drawn(hw.frames, qr)
            await asyncio.to_thread(sb.pay, qr.payment_request)
            await next_screen(screens, Success)
            requests = (await asyncio.to_thread(sb.pay_requests))[seen:]
            seen += len(requests)
            settled = requests[0][0]  # the customer's own payment, settled as it was received
            forward = next(at for at, wallet in requests if wallet == pos_wallet)
            served = await asyncio.to_thread(sb.served)
            arrived = max(at for op, at, _ in served if op == PAY_OPERATION and at <= forward)
            blinks = blink_share(served, confirmed, shown)
            timing = SaleTiming(
                shown - confirmed,
                drawn_at - confirmed,
                forward - settled,
                arrived + latency - settled,
                shown - confirmed - blinks + latency,
            )
            if isinstance(journals.opened, TimedJournal):
                calls = journals.opened.calls
                timing = replace(
                    timing,
                    settlement=split(calls, settled, forward, latency),
                    confirm=split(calls, confirmed, shown, latency, tail=False),
                )
            timings.append(timing)
            terminal.press(Key.CANCEL)  # dismiss the success screen
            await next_screen(screens, Idle)
    return timings


def table(runs: dict[float, list[SaleTiming]]) -> str:
    """The report: per latency and span, p50/p99/max and the overhead beyond the round trip."""
    lines = [
        f"{'latency':>7}  {'span (ms)':40} {'p50':>7} {'p99':>7} {'max':>7}  "
        f"{'overhead p50':>12} {'p99':>7}"
    ]
    for latency, timings in runs.items():
        rows = [
            ("confirm -> QR handed to the display", [t.confirm_to_qr for t in timings]),
            ("confirm -> QR handed, less Blink's work", [t.confirm_to_qr_own for t in timings]),
            ("confirm -> QR frame drawn", [t.confirm_to_drawn for t in timings]),
            ("settlement -> pay request received", [t.settle_to_pay_request for t in timings]),
            ("settlement -> pay request reached Blink", [t.settle_to_pay_arrived for t in timings]),
        ]
        for name, values in rows:
            p50, p99 = percentile(values, 50), percentile(values, 99)
            lines.append(
                f"{latency * 1000:5.0f}ms  {name:40} {p50 * 1000:7.1f} {p99 * 1000:7.1f} "
                f"{max(values) * 1000:7.1f}  {(p50 - latency) * 1000:12.1f} "
                f"{(p99 - latency) * 1000:7.1f}"
            )
    return "\n".join(lines)


def _profile_text(profile: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark at each latency and print one table (and the profile if asked)."""
    parser = argparse.ArgumentParser(prog="python -m terminal.bench.forwarding")
    parser.add_argument("--sales", type=int, default=200, help="sales per latency")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 20.0, 50.0],
        help="injected per HTTP answer; one run each",
    )
    parser.add_argument("--fsync-ms", type=float, default=0.0, help="added to every commit")
    parser.add_argument("--cpu-quota", type=float, default=None, help="percent of one core")
    parser.add_argument("--period-ms", type=float, default=cpulimit.DEFAULT_PERIOD_MS)
    parser.add_argument("--profile", action="store_true", help="split the settlement window")
    parser.add_argument(
        "--cprofile", action="store_true", help="the loop thread's cProfile (slows Python ~3x)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    runs: dict[float, list[SaleTiming]] = {}
    profiles: dict[float, cProfile.Profile] = {}
    with (
        SandboxProcess() as sb,
        cpulimit.quota(args.cpu_quota, args.period_ms) as group,
        tempfile.TemporaryDirectory(prefix="blink-bench-") as tmp,
    ):
        if group is not None:
            group.join()  # this process only: the sandbox was started outside the group
        try:
            for latency_ms in args.latency_ms:
                latency = latency_ms / 1000.0
                folder = Path(tmp) / f"latency-{latency_ms:g}"
                (folder / "state").mkdir(parents=True)
                sb.write_keys(folder / "keys")
                sb.set_latency(latency)
                journals = Journals(args.fsync_ms / 1000.0, timed=args.profile)
                profile = cProfile.Profile() if args.cprofile else None
                if profile is not None:
                    profile.enable()
                runs[latency] = asyncio.run(_sales(sb, folder, args.sales, latency, journals))
                if profile is not None:
                    profile.disable()
                    profiles[latency] = profile
        finally:
            if group is not None:
                group.leave()
                print(group.describe())
    print(f"{args.sales} sales per latency; every journal commit {args.fsync_ms:g} ms slower")
    print(table(runs))
    for latency, timings in runs.items():
        if args.profile:
            print(f"\n== latency {latency * 1000:g} ms")
            settlements = [t.settlement for t in timings if t.settlement is not None]
            print(report(settlements, "settlement -> pay request"))
            confirms = [t.confirm for t in timings if t.confirm is not None]
            print(report(confirms, "OK -> QR handed over", CONFIRM))
        if latency in profiles:
            print(f"\n== latency {latency * 1000:g} ms: the loop thread's cProfile (top 25)")
            print(_profile_text(profiles[latency], 25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
