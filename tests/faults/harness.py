"""The real terminal as a subprocess against an in-process sandbox, over many lifetimes.

``Harness`` writes a configuration for the sandbox (as ``blink-terminal demo`` does) and starts
one :class:`terminal.bench.harness.TerminalProcess` per life, with a crash point or a clock offset
when a test asks for one. It finds each sale's POS invoice in the journal, pays it as the
customer and waits, by polling the journal and the sandbox with short bounded waits, until the
sale is forwarded or the process died at its crash point. Every wait is bounded by
``tests.support.timing.scaled``; nothing sleeps in place of a condition.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from terminal.bench.harness import TerminalDied, TerminalProcess, write_config
from terminal.money.crashpoints import ENV_VAR
from terminal.sandbox import SandboxThread
from tests.faults.ledger_check import JournalSale, read_book, read_journal
from tests.support.timing import TIME_SCALE

REPO = Path(__file__).resolve().parents[2]

__all__ = ["Harness", "TerminalDied"]


class Harness:
    """One terminal (one journal) against one sandbox, over many process lifetimes."""

    def __init__(
        self,
        sb: SandboxThread,
        folder: Path,
        *,
        log_level: str = "info",
        tips_to: str | None = None,
    ) -> None:
        """``log_level="debug"`` puts every screen shown into the log, for tests that judge it;
        ``tips_to`` offers tips, paid to that username (``open_sale``'s ``tip_key`` picks one)."""
        self.sb = sb
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.config_path = write_config(
            folder,
            sb,
            merchant_key=False,
            display="dummy",  # no frames: these tests judge the log and the ledger
            name="Fault Stall",
            log_level=log_level,
            # Short, so a held ("timeout") pay call is given up well inside a test's wait.
            timeout_seconds=2.0,
            tips_to=tips_to,
        )
        self.journal_path = folder / "state" / "journal.sqlite3"
        self.log_path = folder / "terminal.log"
        self.life: TerminalProcess | None = None
        self._log: IO[str] | None = None
        self.lives = 0
        self.kills = 0

    # --- the process ----------------------------------------------------------------------

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        """The current (or last) life's process."""
        return None if self.life is None else self.life.proc

    def start(
        self,
        crash_at: str | None = None,
        clock_offset: float | Path = 0.0,
        *,
        live: bool = True,
    ) -> bool:
        """Start a new life and wait for READY=1; False if it died first (its crash point).

        ``live=False``: do not wait for detection to be live (a test that breaks it on purpose).
        ``clock_offset``: the terminal's wall clock moved by that many seconds, or by what a
        file holds (the test rewrites it to make the clock jump while the terminal runs).
        """
        assert not self.alive(), "the previous life is still running"
        if self.life is not None:
            self._reap()  # a life that died unobserved (its last wait was already satisfied)
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        env["PYTHONPATH"] = str(REPO)
        if crash_at:
            env[ENV_VAR] = crash_at
        argv = [sys.executable, "-m", "terminal", "run"]
        if clock_offset:  # seconds, or a file the test rewrites to make the clock jump
            argv = [sys.executable, "-m", "tests.faults.skewed", str(clock_offset)]
        self.lives += 1
        self._log = self.log_path.open("a", encoding="utf-8")
        self._log.write(f"=== life {self.lives}: crash_at={crash_at} offset={clock_offset}\n")
        self._log.flush()
        self.life = TerminalProcess(
            self.config_path, argv=argv, env=env, cwd=REPO, log=self._log, time_scale=TIME_SCALE
        )
        if not live:
            return True
        try:
            status = self.life.wait_notice("READY=1")
        except TerminalDied:
            self._reap()
            return False
        del status
        said = [line for line in self.life.notices if line.startswith("STATUS=")]
        assert any("detection is live" in line for line in said), f"ready without detection: {said}"
        return True

    def alive(self) -> bool:
        """True while the current life runs."""
        return self.life is not None and self.life.alive()

    def _reap(self) -> int:
        assert self.life is not None
        if self._log is None:
            return self.life.proc.wait()  # this life was reaped already
        code = self.life.wait_exit()
        if code == -signal.SIGKILL:
            self.kills += 1
        self.life.close()
        self._log.close()
        self._log = None
        return code

    def stop(self) -> int:
        """SIGTERM the current life and return its exit code (the terminal's clean shutdown)."""
        if self.life is None:
            return 0
        if self.alive():
            self.life.proc.send_signal(signal.SIGTERM)
        try:
            return self._reap()
        except subprocess.TimeoutExpired:
            self.life.proc.kill()
            self._reap()
            raise AssertionError("the terminal ignored SIGTERM") from None

    def wait_dead(self) -> int:
        """Wait for the current life to end by itself (a crash point); its exit code."""
        assert self.life is not None
        return self._reap()

    def close(self) -> None:
        """Stop the terminal."""
        if self.life is not None and (self.alive() or self._log is not None):
            with contextlib.suppress(AssertionError):
                self.stop()

    def type(self, keys: str) -> None:
        """Send key presses (digits, newline = OK, ``c`` = cancel) to the terminal's stdin."""
        assert self.life is not None
        self.life.type(keys)

    # --- sales ----------------------------------------------------------------------------

    def journal(self) -> dict[str, JournalSale]:
        """The journal as it is now (read-only)."""
        return read_journal(self.journal_path)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        """Poll ``condition`` until true; TerminalDied if the process ends first."""
        if self.life is None or not self.alive():
            if condition():
                return
            raise TerminalDied(what)
        try:
            self.life.wait_until(condition, f"{what} (log: {self.log_path})", timeout)
        except TerminalDied:
            self._reap()
            raise

    def open_sale(self, amount: int, tip_key: str = "", timeout: float = 20.0) -> JournalSale:
        """Type ``amount`` and OK (then ``tip_key`` on the tip screen); the journaled sale once
        all its invoices are journaled.

        Raises TerminalDied if the terminal dies first (a crash point in the sale's opening),
        AssertionError if none is journaled within ``timeout`` (scaled) seconds.
        """
        before = set(self.journal())
        self.type(f"c{amount}\n{tip_key}")
        found: list[JournalSale] = []

        def journaled() -> bool:
            new = [s for s in self.journal().values() if s.id not in before]
            found[:] = [s for s in new if s.pos_hash is not None]
            return bool(found)

        self.wait_for(journaled, f"the invoices of a {amount} sats sale", timeout)
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
