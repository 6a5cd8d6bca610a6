"""The real terminal as a subprocess against an in-process sandbox: type, pay, kill, restart.

``Harness`` writes a configuration for the sandbox (as ``blink-terminal demo`` does), runs
``python -m terminal run --config ...`` with keys on its stdin, waits for ``READY=1`` on a unix
datagram socket (``NOTIFY_SOCKET``), finds each sale's POS invoice in the journal, pays it as the
customer and waits, by polling the journal and the sandbox with short bounded waits, until the
sale is forwarded or the process died at its crash point. Every wait is bounded by
``tests.support.timing.scaled``; nothing sleeps in place of a condition.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from terminal.money.crashpoints import ENV_VAR
from terminal.sandbox import SandboxThread
from terminal.sandbox.terminal_config import sandbox_terminal_config
from tests.faults.ledger_check import JournalSale, read_book, read_journal
from tests.support.timing import scaled

REPO = Path(__file__).resolve().parents[2]
POLL = 0.02  # how long one poll of the journal or the notify socket may block


class TerminalDied(Exception):
    """The terminal process exited while the harness waited for something."""


class Harness:
    """One terminal (one journal) against one sandbox, over many process lifetimes."""

    def __init__(self, sb: SandboxThread, folder: Path) -> None:
        self.sb = sb
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        sb.write_keys(folder / "keys")
        self.config_path = folder / "terminal.toml"
        self.config_path.write_text(
            sandbox_terminal_config(
                sb.http_url,
                sb.ws_url,
                pos_key_file="keys/blinkpos.key",
                display="dummy",  # no frames: these tests judge the log and the ledger
                name="Fault Stall",
                # Short, so a held ("timeout") pay call is given up well inside a test's wait.
                timeout_seconds=2.0,
            ),
            encoding="utf-8",
        )
        self.journal_path = folder / "state" / "journal.sqlite3"
        self.log_path = folder / "terminal.log"
        # A unix socket path must stay under ~100 bytes; pytest's tmp_path may not.
        self._sock_dir = Path(tempfile.mkdtemp(prefix="bt-notify-"))
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(str(self._sock_dir / "n"))
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None
        self.lives = 0
        self.kills = 0

    # --- the process ----------------------------------------------------------------------

    def start(self, crash_at: str | None = None, clock_offset: float = 0.0) -> bool:
        """Start a new life and wait for READY=1; False if it died first (its crash point)."""
        assert not self.alive(), "the previous life is still running"
        if self.proc is not None:
            self._reap()  # a life that died unobserved (its last wait was already satisfied)
        self._drain_notify()
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        env["NOTIFY_SOCKET"] = str(self._sock_dir / "n")
        env["PYTHONPATH"] = str(REPO)
        if crash_at:
            env[ENV_VAR] = crash_at
        if clock_offset:
            cmd = [sys.executable, "-m", "tests.faults.skewed", str(clock_offset)]
        else:
            cmd = [sys.executable, "-m", "terminal", "run"]
        self.lives += 1
        self._log = self.log_path.open("a", encoding="utf-8")
        self._log.write(f"=== life {self.lives}: crash_at={crash_at} offset={clock_offset}\n")
        self._log.flush()
        self.proc = subprocess.Popen(
            [*cmd, "--config", str(self.config_path)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        return self._wait_ready()

    def _drain_notify(self) -> None:
        self._notify.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while self._notify.recv(4096):
                pass
        self._notify.setblocking(True)

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + scaled(30.0)
        self._notify.settimeout(POLL)
        while time.monotonic() < deadline:
            if not self.alive():
                self._reap()
                return False
            try:
                lines = self._notify.recv(4096).decode().splitlines()
            except TimeoutError:
                continue
            if "READY=1" in lines:
                status = next((line for line in lines if line.startswith("STATUS=")), "")
                assert "detection is live" in status, f"ready without detection: {status}"
                return True
        raise AssertionError(f"the terminal did not become ready; see {self.log_path}")

    def alive(self) -> bool:
        """True while the current life runs."""
        return self.proc is not None and self.proc.poll() is None

    def _reap(self) -> int:
        assert self.proc is not None
        code = self.proc.wait(scaled(10.0))
        if self._log is None:
            return code  # this life was reaped already
        if code == -signal.SIGKILL:
            self.kills += 1
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self._log.close()
        self._log = None
        return code

    def stop(self) -> int:
        """SIGTERM the current life and return its exit code (the terminal's clean shutdown)."""
        if self.proc is None:
            return 0
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self._reap()
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._reap()
            raise AssertionError("the terminal ignored SIGTERM") from None

    def wait_dead(self) -> int:
        """Wait for the current life to end by itself (a crash point); its exit code."""
        assert self.proc is not None
        return self._reap()

    def close(self) -> None:
        """Stop the terminal and release the notify socket."""
        with contextlib.suppress(AssertionError):
            self.stop()
        self._notify.close()
        shutil.rmtree(self._sock_dir, ignore_errors=True)

    def type(self, keys: str) -> None:
        """Send key presses (digits, newline = OK, ``c`` = cancel) to the terminal's stdin."""
        assert self.proc is not None
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(keys.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died at a crash point; the caller notices

    # --- sales ----------------------------------------------------------------------------

    def journal(self) -> dict[str, JournalSale]:
        """The journal as it is now (read-only)."""
        return read_journal(self.journal_path)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        """Poll ``condition`` until true; TerminalDied if the process ends first."""
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            if condition():
                return
            if not self.alive():
                self._reap()
                raise TerminalDied(what)
            self._pause()
        raise AssertionError(f"timed out waiting for {what}; see {self.log_path}")

    def _pause(self) -> None:
        # One short bounded wait between polls: on the process if it runs, so an exit ends it.
        if self.proc is not None and self.alive():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(POLL)
        else:
            time.sleep(POLL)  # nothing to wait on: the poll interval itself

    def open_sale(self, amount: int) -> JournalSale:
        """Type ``amount`` and OK; the journaled sale once both its invoices are journaled.

        Raises TerminalDied if the terminal dies first (a crash point in the sale's opening).
        """
        before = set(self.journal())
        self.type(f"c{amount}\n")
        found: list[JournalSale] = []

        def journaled() -> bool:
            new = [s for s in self.journal().values() if s.id not in before]
            found[:] = [s for s in new if s.pos_hash is not None]
            return bool(found)

        self.wait_for(journaled, f"the invoices of a {amount} sats sale")
        return found[0]

    def pay(self, sale: JournalSale) -> str:
        """The customer pays the sale's POS invoice; the sandbox's PaymentSendResult status."""
        assert sale.pos_hash is not None
        invoice = self.sb.ledger.invoices[sale.pos_hash]
        return self.sb.pay(invoice.payment_request)

    def state_of(self, sale_id: str) -> str:
        """The sale's journal state now."""
        sale = self.journal().get(sale_id)
        return "missing" if sale is None else sale.state

    def wait_forwarded(self, sale_id: str, timeout: float = 20.0) -> None:
        """Wait until the journal says ``sale_id`` is forwarded (TerminalDied if it dies)."""
        self.wait_for(
            lambda: self.state_of(sale_id) == "forwarded", f"sale {sale_id} forwarded", timeout
        )

    def owed(self) -> list[str]:
        """Journaled sales the sandbox says the customer paid that are not forwarded yet."""
        paid_in = {
            p.payment_hash
            for p in read_book(self.sb).payments
            if p.receiver_wallet_id == self.sb.wallet_id("blinkpos")
        }
        journal = self.journal().values()
        return [s.id for s in journal if s.pos_hash in paid_in and s.state != "forwarded"]

    def wait_nothing_owed(self, timeout: float = 30.0) -> None:
        """Wait until every sale the customer paid is journaled forwarded (TerminalDied)."""
        self.wait_for(lambda: not self.owed(), "every paid sale forwarded", timeout)

    def log_text(self) -> str:
        """Everything every life logged so far."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
