"""``python -m terminal.bench.memory``: the field terminal's memory, at READY and after many sales.

    python -m terminal.bench.memory [--python FIELD_VENV/bin/python] [--sales 1000 10000]

The real ``blink-terminal run`` runs as a subprocess with a field configuration (the ``dummy``
panel driver, which draws every frame in memory as a real panel driver does, without a bus; no
desktop extras) against a sandbox in this process. ``--python`` names the interpreter that runs
the terminal: a venv made the way the Ansible role makes it (the field lock, no desktop or
sandbox extras; ``tests/field/conftest.py`` ``make_field_venv`` builds one), so nothing a field
install lacks can be counted. It prints:

* RSS (and USS, the pages only this process holds) at READY and after each number of sales;
* the import cost of ``run``: every module it imports (``-X importtime``, through one sale),
  grouped by package, by time and by the RSS each group adds when imported in the same order.

Nothing is asserted; it prints tables.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import psutil

from terminal.bench.harness import TerminalProcess, write_config
from terminal.sandbox import Sandbox, SandboxThread

FORWARDED = b"received and forwarded to the merchant"
STEP_TIMEOUT = 30.0
POLL = 0.002

# Run in the measured interpreter, once per package: the RSS (KiB, from the kernel) before and
# after importing it alone, so each package is charged with everything it pulls in.
_ALONE = """
import importlib, sys
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
before = rss()
try:
    importlib.import_module(sys.argv[1])
except Exception:
    pass
print(before, rss())
"""


@dataclass(frozen=True)
class Memory:
    """One reading of the terminal process (bytes)."""

    sales: int
    rss: int
    uss: int


def _read(pid: int, sales: int) -> Memory:
    info = psutil.Process(pid).memory_full_info()
    return Memory(sales, info.rss, info.uss)


async def _pay_new(sandbox: Sandbox, seen: int) -> bool:
    """Pay the sale's POS invoice among those made after the first ``seen``; False if none yet.

    Not ``pay_latest``: it scans every invoice ever made, which grows with the sales.
    """
    ledger = sandbox.ledger
    pos = sandbox.wallet_id("blinkpos")
    fresh = itertools.islice(reversed(ledger.invoices.values()), len(ledger.invoices) - seen)
    for invoice in fresh:
        if invoice.wallet_id == pos and ledger.status(invoice) == "PENDING":
            ledger.pay(sandbox.wallet_id("customer"), invoice.payment_request)
            return True
    return False


class _LogCounter:
    """Counts forwarded sales in the terminal's log file, reading only what is new."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._tail = b""
        self.count = 0

    def update(self) -> int:
        """Read what was logged since the last call; the forwarded sales so far."""
        chunk = self._tail + self._file.read()
        self.count += chunk.count(FORWARDED)
        # Keep a partial line's end: the marker may straddle two reads.
        self._tail = chunk[-len(FORWARDED) :] if chunk else b""
        self.count -= self._tail.count(FORWARDED)
        return self.count

    def close(self) -> None:
        """Close the log file."""
        self._file.close()


def _wait(condition: object, what: str, terminal: TerminalProcess) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():  # type: ignore[operator]
        if not terminal.alive():
            raise RuntimeError(f"the terminal exited before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL)


def run_sales(
    sb: SandboxThread, terminal: TerminalProcess, log: _LogCounter, checkpoints: list[int]
) -> list[Memory]:
    """Drive whole sales; read the memory at each checkpoint (a number of sales)."""
    assert sb.sandbox is not None
    sandbox = sb.sandbox
    readings = []
    done = 0
    for target in sorted(checkpoints):
        while done < target:
            done += 1
            seen = len(sandbox.ledger.invoices)
            terminal.type(f"{100 + done % 900}\n")
            # Both invoices exist (len() is atomic), then the customer pays on the sandbox's loop.
            _wait(lambda: len(sandbox.ledger.invoices) >= seen + 2, "the invoices", terminal)  # noqa: B023
            _wait(lambda: sb.call(_pay_new(sandbox, seen)), f"sale {done}'s payment", terminal)  # noqa: B023
            _wait(lambda: log.update() >= done, f"sale {done}'s forward", terminal)  # noqa: B023
        readings.append(_read(terminal.proc.pid, done))
    return readings


def import_costs(sb: SandboxThread, folder: Path, python: str) -> tuple[list[str], dict[str, int]]:
    """Every module ``run`` imports through one sale, in order; and microseconds per group."""
    config = write_config(folder, sb, display="dummy")
    argv = [python, "-X", "importtime", "-m", "terminal", "run"]
    with TerminalProcess(config, argv=argv) as terminal:
        terminal.wait_notice("READY=1")
        assert sb.sandbox is not None
        sandbox = sb.sandbox
        seen = len(sandbox.ledger.invoices)
        terminal.type("2100\n")
        _wait(lambda: sb.call(_pay_new(sandbox, seen)), "the invoice", terminal)
        _wait(lambda: FORWARDED.decode() in terminal.stderr, "the forward", terminal)
        terminal.stop()
        stderr = terminal.stderr
    order: list[str] = []
    spent: dict[str, int] = defaultdict(int)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        own, _cumulative, name = line[len("import time:") :].split("|")
        module = name.strip()
        if module.endswith("__main__"):
            continue  # `-m terminal` runs it; importing it again would start a second CLI
        order.append(module)
        spent[group_of(module)] += int(own)
    return order, dict(spent)


def group_of(module: str) -> str:
    """The package a module is charged to (the project's own: by subpackage)."""
    parts = module.split(".")
    if parts[0] in ("terminal", "hardware") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def rss_alone(python: str, packages: list[str]) -> tuple[int, dict[str, int]]:
    """The bare interpreter's RSS, and what importing each package alone adds to it (KiB)."""
    added: dict[str, int] = {}
    bare = 0
    for package in packages:
        done = subprocess.run(  # noqa: S603 - the interpreter the caller named, our own script
            [python, "-c", _ALONE, package],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        before, after = (int(n) for n in done.stdout.split())
        bare = before
        added[package] = after - before
    return bare, added


def _mib(n: float) -> str:
    return f"{n / 2**20:6.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m terminal.bench.memory")
    parser.add_argument("--python", default=sys.executable, help="the terminal's interpreter")
    parser.add_argument("--sales", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="for the terminal, e.g. MALLOC_ARENA_MAX=2 as a systemd unit could set it",
    )
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    with SandboxThread(host="127.0.0.1", port=0) as sb, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        order, spent = import_costs(sb, root / "imports", args.python)
        # Public top-level packages only (``_ssl`` is counted in ``ssl``), the project's own
        # as a whole: what `run` loads to start (the shell) and to draw (the peripherals).
        packages = [
            p
            for p in dict.fromkeys(m.split(".")[0] for m in order)
            if not p.startswith("_") and p not in ("terminal", "hardware")
        ]
        bare, rss = rss_alone(args.python, [*packages, "terminal.shell.runtime"])
        folder = root / "sales"
        config = write_config(folder, sb, display="dummy")
        log_path = folder / "terminal.log"
        with (
            log_path.open("w") as log,
            TerminalProcess(
                config, argv=[args.python, "-m", "terminal", "run"], log=log
            ) as terminal,
        ):
            terminal.wait_notice("READY=1")
            readings = [_read(terminal.proc.pid, 0)]
            counter = _LogCounter(log_path)
            try:
                readings += run_sales(sb, terminal, counter, args.sales)
            finally:
                counter.close()
            terminal.stop()
    print(f"terminal interpreter: {args.python}; environment: {env or 'as inherited'}")
    print(f"{'sales':>7} {'RSS':>10} {'USS':>10}")
    for m in readings:
        label = "READY" if m.sales == 0 else str(m.sales)
        print(f"{label:>7} {_mib(m.rss)} {_mib(m.uss)}")
    modules = len(dict.fromkeys(order))
    print(f"\n`run` imports {modules} modules in {sum(spent.values()) / 1000:.0f} ms (own time)")
    print(f"the bare interpreter: {bare} KiB RSS; each package alone adds (with what it imports):")
    print(f"{'by RSS, alone':32} {'KiB':>7}    {'by import time, own':32} {'ms':>6}")
    by_rss = sorted(rss.items(), key=lambda kv: -kv[1])[: args.top]
    by_time = sorted(spent.items(), key=lambda kv: -kv[1])[: args.top]
    for (rname, kib), (tname, micros) in zip(by_rss, by_time, strict=False):
        print(f"{rname:32} {kib:7d}    {tname:32} {micros / 1000:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
