"""A stall's cold boot on a phone hotspot: from process start to the first QR.

    python -m terminal.bench.coldboot [--runs 5] [--offline-seconds 5] [--clock-lag 0]

The real ``blink-terminal run`` (dummy panel, ``[terminal] clock = "ntp"``) starts with the
sandbox refusing every connection and the clock unsynchronised (``terminal.bench.clockflag``).
After ``--offline-seconds`` the network comes up, and ``--clock-lag`` seconds later the clock is
synchronised (timesyncd needs the network first). As soon as systemd hears READY=1 a sale is
typed; the QR counts as shown when the terminal hands it to the display (its debug log's
``show ShowInvoice``). Printed per span, median and worst of the runs:

* start → the first screen that says why no sale is possible;
* network and clock there → READY=1 (sales accepted);
* READY=1 → the first QR (one sale: both invoices made and journaled);
* network and clock there → the first QR, what the merchant waits once the phone is up.

What only a Pi can measure: power-on to process start (firmware, kernel, systemd), the Wi-Fi
joining the hotspot (NetworkManager, WPA, DHCP) and time sync's first answer (timesyncd polls
after the link is up); the clock is polled every second, as on a Pi.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from terminal.bench.harness import TerminalProcess, write_config
from terminal.sandbox import SandboxThread

SPANS = (
    "start -> screen says why",
    "network+clock -> READY",
    "READY -> first QR",
    "network+clock -> first QR",
)


def one_boot(folder: Path, offline: float, clock_lag: float) -> list[float]:
    """One cold boot; its spans in seconds, in the order of ``SPANS``."""
    with SandboxThread(host="127.0.0.1", port=0) as sb:
        sb.faults.set_network(http=False, ws=False)
        config = write_config(folder, sb, display="dummy", clock="ntp", log_level="debug")
        flag = folder / "clock-synchronised"
        argv = [sys.executable, "-m", "terminal.bench.clockflag", str(flag)]
        began = time.monotonic()
        with TerminalProcess(config, argv=argv) as terminal:
            terminal.wait_until(
                lambda: "show NotReady(reason='No network" in terminal.stderr, "why"
            )
            told = time.monotonic() - began
            # The phone's hotspot comes up after a while: the wait is the scenario, not a sync.
            time.sleep(max(0.0, offline - told))
            sb.faults.set_network(http=True, ws=True)
            arrived = time.monotonic()
            time.sleep(clock_lag)
            flag.touch()
            terminal.wait_notice("READY=1", timeout=120)
            ready = time.monotonic()
            terminal.type("2100\n")
            terminal.wait_until(lambda: "show ShowInvoice(" in terminal.stderr, "the first QR")
            shown = time.monotonic()
            terminal.stop()
    return [told, ready - arrived, shown - ready, shown - arrived]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--offline-seconds", type=float, default=5.0)
    parser.add_argument("--clock-lag", type=float, default=0.0)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            runs.append(one_boot(Path(tmp) / f"boot{n}", args.offline_seconds, args.clock_lag))
    print(f"{'span':<30} {'median':>8} {'worst':>8}")
    for i, name in enumerate(SPANS):
        values = [run[i] for run in runs]
        print(f"{name:<30} {statistics.median(values):>7.2f}s {max(values):>7.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
