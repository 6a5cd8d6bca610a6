"""A market stall's boot: no network and a wrong clock at power-on, then both arrive.

The real terminal process starts with ``[terminal] clock = "ntp"`` before its phone hotspot is up:
the sandbox refuses every connection (its network fault, both halves down) and the clock is not
synchronised (``terminal.bench.clockflag``: synchronised once a file exists, as timesyncd marks
it). The screen must say what it waits for, no sale may start, and the first sale must be taken
once both are there. What the merchant is shown is read from the debug log (every ``Show``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from terminal.bench.harness import TerminalProcess as Process
from terminal.sandbox import SandboxThread
from tests.faults.ledger_check import read_journal
from tests.support.qr import read_qr
from tests.support.terminal_process import TerminalProcess, poll_until, write_config

REPO = Path(__file__).resolve().parents[2]


def _reasons(terminal: Process) -> list[str]:
    """Every not-ready reason the merchant was shown so far, in order."""
    return re.findall(r"show NotReady\(reason=['\"]([^'\"]*)", terminal.stderr)


def _refuses_a_sale(terminal: Process, state_dir: Path) -> None:
    """Type a sale; prove the keys were taken (the menu key answers after them) and ignored."""
    menus = terminal.stderr.count("show PinEntry") + terminal.stderr.count("show TillMenu")
    terminal.type("500\n" + "m")
    terminal.wait_until(
        lambda: (
            terminal.stderr.count("show PinEntry") + terminal.stderr.count("show TillMenu") > menus
        ),
        "the menu key answered after the sale's keys",
    )
    terminal.type("c")  # close the menu
    assert not read_journal(state_dir / "journal.sqlite3"), "a sale started while not ready"


def test_a_stall_booting_without_network_or_clock_waits_then_takes_the_first_sale(
    tmp_path: Path, sandbox_thread: SandboxThread
) -> None:
    sb = sandbox_thread
    sb.faults.set_network(http=False, ws=False)  # the phone's hotspot is not up yet
    config = write_config(tmp_path, sb, clock="ntp", log_level="debug")
    flag = tmp_path / "clock-synchronised"
    argv = [sys.executable, "-m", "terminal.bench.clockflag", str(flag)]
    with TerminalProcess(config, argv=argv, cwd=REPO) as terminal:
        terminal.wait_until(
            lambda: any(
                r.startswith("No network") and "waiting for the clock" in r
                for r in _reasons(terminal)
            ),
            "the screen saying it waits for the network and the clock",
        )
        _refuses_a_sale(terminal, tmp_path / "state")
        assert not sb.ledger.invoices  # Blink was never asked for an invoice

        sb.faults.set_network(http=True, ws=True)  # the hotspot is up; the clock is still wrong
        terminal.wait_until(
            lambda: _reasons(terminal)[-1].startswith("Waiting for the clock"),
            "the screen saying only the clock is missing",
        )
        _refuses_a_sale(terminal, tmp_path / "state")
        assert not sb.ledger.invoices
        assert "READY=1" not in terminal.notices  # systemd is not told "ready" either

        flag.touch()  # time sync has set the clock
        terminal.wait_notice("READY=1")
        terminal.type("2100\n")
        terminal.wait_for_frame(lambda frame: read_qr(frame) is not None)
        (sale,) = read_journal(tmp_path / "state" / "journal.sqlite3").values()
        assert sale.pos_hash is not None
        assert sb.pay(sb.ledger.invoices[sale.pos_hash].payment_request) == "SUCCESS"
        poll_until(
            lambda: (
                read_journal(tmp_path / "state" / "journal.sqlite3")[sale.id].state == "forwarded"
            ),
            30,
            "the first sale forwarded",
        )
        assert terminal.stop() == 0
    assert sb.balance("merchant") == 2100
