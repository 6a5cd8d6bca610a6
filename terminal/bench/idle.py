"""Benchmark of an idle terminal: wake-ups per second and CPU, as a battery sees them.

    python -m terminal.bench.idle [--minutes 10] [--sleep-after 10] [--poll-seconds 60]

It runs the real ``blink-terminal run`` (dummy panel, stdin keypad, a simulated battery read at
the stall's poll interval) against a sandbox on loopback, as :mod:`terminal.bench.process`
does, waits until the panel has gone to sleep, then reads ``/proc/<pid>/task/*/status``
(voluntary and involuntary context switches: each voluntary one is the thread blocking again
after a wake-up) and ``/proc/<pid>/stat`` (user + system CPU) at the start and the end of the
window. It prints the totals per second and each thread's share, so a thread that polls shows.

The sandbox speaks like Blink: a price tick on the socket about every 30 s, and the WebSocket
keepalive ping: those wake-ups are what payment detection needs and are counted in.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from terminal.bench.harness import TerminalProcess, set_power, write_config
from terminal.bench.stats import print_figures
from terminal.sandbox import SandboxThread


@dataclass(frozen=True)
class Sample:
    """One look at the process: context switches per thread name, CPU seconds, when."""

    switches: dict[str, tuple[int, int]]  # "tid name" -> (voluntary, involuntary)
    cpu_seconds: float
    at: float


def sample(pid: int) -> Sample:
    """Read the process's threads and CPU time from /proc."""
    switches: dict[str, tuple[int, int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = dict(line.split(":", 1) for line in (task / "status").read_text().splitlines())
        except FileNotFoundError:
            continue  # the thread ended between the listing and the read
        # Python (before 3.14) does not name its threads for the kernel: the id tells them apart.
        name = f"{task.name} {fields['Name'].strip()}"
        switches[name] = (
            int(fields["voluntary_ctxt_switches"]),
            int(fields["nonvoluntary_ctxt_switches"]),
        )
    # /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the "(comm)".
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_comm = stat[stat.rindex(")") + 2 :].split()
    ticks = int(after_comm[11]) + int(after_comm[12])
    return Sample(switches, ticks / os.sysconf("SC_CLK_TCK"), time.monotonic())


def report(before: Sample, after: Sample) -> list[tuple[str, str]]:
    """Rows of (figure, value) for the window between two samples.

    A voluntary switch is a thread blocking again after it woke: the wake-up count. Involuntary
    ones are preemptions (other load on the machine), shown apart.
    """
    wall = after.at - before.at
    rows = []
    woke = preempted = 0
    for name in sorted(after.switches):
        vol, invol = after.switches[name]
        vol0, invol0 = before.switches.get(name, (0, 0))
        woke += vol - vol0
        preempted += invol - invol0
        if vol - vol0:
            rate = (vol - vol0) / wall
            rows.append((f"  thread {name}", f"{rate:.3f} /s ({vol - vol0} in {wall:.0f} s)"))
    cpu = 100.0 * (after.cpu_seconds - before.cpu_seconds) / wall
    return [
        (f"threads (all {len(after.switches)})", "those that woke are listed"),
        ("wake-ups (voluntary switches), all threads", f"{woke / wall:.3f} /s"),
        *rows,
        ("preemptions (involuntary switches)", f"{preempted / wall:.3f} /s"),
        ("CPU (user + system)", f"{cpu:.3f} % of one core"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="the measured window")
    parser.add_argument("--sleep-after", type=float, default=10.0, help="idle_sleep_seconds")
    parser.add_argument("--poll-seconds", type=float, default=60.0, help="battery poll")
    args = parser.parse_args(argv)
    # No CPU quota here (terminal.bench.process has one): a quota changes how long a wake-up
    # takes, not how many there are.
    with SandboxThread(host="127.0.0.1", port=0) as sb, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, sb, display="dummy", log_level="debug")
        level = folder / "battery"
        level.write_text("80\n")
        set_power(
            config,
            f'driver = "simulated"\nsimulated_level_file = "{level}"\n'
            f"poll_seconds = {args.poll_seconds}\n"
            f"idle_dim_seconds = {args.sleep_after / 2}\n"
            f"idle_sleep_seconds = {args.sleep_after}\n",
        )
        with TerminalProcess(config) as terminal:
            terminal.wait_notice("READY=1")
            terminal.wait_until(
                lambda: "panel off" in terminal.stderr, "the panel asleep", args.sleep_after * 3
            )
            pid = terminal.proc.pid
            before = sample(pid)
            # Idleness is what is measured: nothing to wait for but the window's end.
            time.sleep(args.minutes * 60.0)
            after = sample(pid)
            asleep = terminal.stderr.rsplit("panel ", 1)[-1].startswith("off")
            terminal.stop()
    rows = [
        ("window", f"{args.minutes:g} min idle, panel asleep: {asleep}"),
        *report(before, after),
    ]
    print_figures(rows, width=44)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
