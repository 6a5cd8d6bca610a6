"""A CPU quota for a benchmark: roughly a Pi Zero 2 W on this machine.

    python -m terminal.bench.cpulimit --quota 25 [--period-ms 10] -- COMMAND [ARGS...]

A Pi Zero 2 W runs Python several times slower than a desktop core. A CFS quota of 25 % of one
core gives a process the CPU time of a core four times slower; a short period (10 ms instead of
the kernel's 100 ms) spreads that time evenly, so a 5 ms piece of work takes ~20 ms, as on a slow
core, instead of running at full speed and then stalling for 75 ms. Where systemd is PID 1 the
same is ``systemd-run --scope -p CPUQuota=25% -p CPUQuotaPeriodSec=10ms COMMAND``; in a
container without systemd this module makes the cgroup by hand (cgroup v2 ``cpu.max``, or v1
``cpu.cfs_quota_us``), which needs root. The benchmarks' ``--cpu-quota`` option uses it.

Only the measured part goes in the group (the terminal, or a benchmark whose Blink sandbox runs
in another process): a Pi does not host Blink, so the sandbox keeps the whole machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from terminal.errors import TerminalError

CGROUP_ROOT = Path("/sys/fs/cgroup")
DEFAULT_PERIOD_MS = 10.0


class QuotaUnavailable(TerminalError):
    """No cgroup CPU controller this process may use."""


@dataclass(frozen=True)
class CpuGroup:
    """A cgroup with a CPU quota: put processes in it with :meth:`join`."""

    path: Path
    v2: bool
    quota_percent: float
    period_ms: float

    def join(self, pid: int = 0) -> None:
        """Move process ``pid`` (0: this one), every thread of it, into the group."""
        (self.path / "cgroup.procs").write_text(f"{pid or os.getpid()}\n")

    def leave(self, pid: int = 0) -> None:
        """Move process ``pid`` (0: this one) back to the root group, so this one can go."""
        (self.path.parent / "cgroup.procs").write_text(f"{pid or os.getpid()}\n")

    def throttling(self) -> dict[str, int]:
        """The kernel's own count of periods and throttled periods: proof the quota bites."""
        stats: dict[str, int] = {}
        for line in (self.path / "cpu.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            stats[name] = int(value)
        return stats

    def describe(self) -> str:
        """One line for a benchmark's table: the quota and how often the kernel applied it."""
        stats = self.throttling()
        periods = stats.get("nr_periods", 0)
        throttled = stats.get("nr_throttled", 0)
        kind = "v2 cpu.max" if self.v2 else "v1 cpu.cfs_quota_us"
        return (
            f"CPU quota {self.quota_percent:g} % of one core per {self.period_ms:g} ms "
            f"(cgroup {kind}, {self.path}); throttled in {throttled} of {periods} periods"
        )

    def remove(self) -> None:
        """Remove the group (every process in it must have exited or moved)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _controller(root: Path) -> tuple[Path, bool]:
    """Where CPU groups are made here, and whether it is cgroup v2."""
    unified = root / "cgroup.controllers"
    if unified.exists() and "cpu" in unified.read_text().split():
        return root, True
    for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        if (root / name / "cpu.cfs_quota_us").exists():
            return root / name, False
    raise QuotaUnavailable(
        f"no cgroup CPU controller under {root}: use systemd-run --scope -p CPUQuota=25% "
        "-p CPUQuotaPeriodSec=10ms, or taskset -c 0 for one core without a quota"
    )


def make_group(
    quota_percent: float,
    period_ms: float = DEFAULT_PERIOD_MS,
    *,
    name: str | None = None,
    root: Path = CGROUP_ROOT,
) -> CpuGroup:
    """A new cgroup limited to ``quota_percent`` of one core (QuotaUnavailable if it cannot be)."""
    if not 0 < quota_percent <= 100 * (os.cpu_count() or 1):
        raise ValueError(f"a CPU quota of {quota_percent} % makes no sense here")
    base, v2 = _controller(root)
    period_us = round(period_ms * 1000)
    quota_us = max(1000, round(period_us * quota_percent / 100))
    path = base / (name or f"blink-bench-{os.getpid()}")
    try:
        path.mkdir(exist_ok=True)
        if v2:
            (path / "cpu.max").write_text(f"{quota_us} {period_us}\n")
        else:
            (path / "cpu.cfs_period_us").write_text(f"{period_us}\n")
            (path / "cpu.cfs_quota_us").write_text(f"{quota_us}\n")
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.rmdir()
        raise QuotaUnavailable(
            f"cannot make the cgroup {path} ({exc.strerror}): run as root, or use systemd-run "
            "--scope -p CPUQuota=25% -p CPUQuotaPeriodSec=10ms"
        ) from exc
    return CpuGroup(path, v2, quota_percent, period_ms)


@contextlib.contextmanager
def quota(
    quota_percent: float | None, period_ms: float = DEFAULT_PERIOD_MS
) -> Iterator[CpuGroup | None]:
    """A CPU group for the ``with`` block (None: no quota asked), removed afterwards."""
    if quota_percent is None:
        yield None
        return
    group = make_group(quota_percent, period_ms)
    try:
        yield group
    finally:
        group.remove()


def wrap(group: CpuGroup | None, argv: list[str]) -> list[str]:
    """``argv`` run inside ``group`` (unchanged when there is none)."""
    if group is None:
        return argv
    return [sys.executable, "-m", "terminal.bench.cpulimit", "--join", str(group.path), "--", *argv]


def main(argv: list[str] | None = None) -> int:
    """Run COMMAND in a new group (``--quota``) and report the throttling, or join one and exec."""
    parser = argparse.ArgumentParser(prog="python -m terminal.bench.cpulimit")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--quota", type=float, help="percent of one core, e.g. 25")
    how.add_argument("--join", type=Path, help="an existing group's folder (used by wrap())")
    parser.add_argument("--period-ms", type=float, default=DEFAULT_PERIOD_MS)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if args.join is not None:
        try:
            (args.join / "cgroup.procs").write_text(f"{os.getpid()}\n")
        except OSError as exc:
            print(f"cpulimit: cannot join {args.join}: {exc.strerror}", file=sys.stderr)
            return 2
        os.execvp(command[0], command)  # noqa: S606 - the caller's own command, by design
    try:
        with quota(args.quota, args.period_ms) as group:
            # The caller's own command, run as given.
            code = subprocess.call(wrap(group, command))  # noqa: S603
            assert group is not None
            print(f"cpulimit: {group.describe()}", file=sys.stderr)
    except QuotaUnavailable as exc:
        print(f"cpulimit: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
