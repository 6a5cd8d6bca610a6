"""Restarts: a sale paid while the terminal was off, for longer than any watch window, still
reaches the merchant; a restart keeps the journal and never forwards twice."""

from __future__ import annotations

import signal
from pathlib import Path

from terminal.money.journal import Journal
from terminal.sandbox import SandboxThread
from tests.support.qr import read_qr
from tests.support.terminal_process import TerminalProcess, poll_until, write_config


def pos_request(state_dir: Path) -> tuple[str, str]:
    """The newest sale's id and POS invoice, read from the journal the process left behind."""
    journal = Journal.open(state_dir)
    try:
        (sale,) = journal.recent(1)
    finally:
        journal.close()
    assert sale.pos is not None, "the sale has no invoice in the journal"
    return sale.id, sale.pos.request


def merchant_received(sb: SandboxThread) -> list[int]:
    merchant = sb.wallet_id("merchant")
    return [p.amount for p in sb.ledger.payments if p.receiver_wallet_id == merchant]


def test_a_sale_paid_while_the_terminal_was_off_for_hours_is_forwarded_once(
    tmp_path: Path, sandbox_thread: SandboxThread
) -> None:
    sb = sandbox_thread
    config = write_config(tmp_path, sb)
    with TerminalProcess(config) as terminal:
        terminal.wait_notice("READY=1")
        terminal.type("777\n")
        # The QR on screen means the sale and both invoices are in the journal.
        terminal.wait_for_frame(lambda frame: read_qr(frame) is not None)
        # The power goes: no goodbye, no flush.
        assert terminal.stop(signal.SIGKILL) == -signal.SIGKILL
    sale_id, request = pos_request(tmp_path / "state")
    # The customer had already scanned it, and pays; then hours pass before the power is back.
    assert sb.pay(request) == "SUCCESS"
    sb.clock.advance(6 * 3600)
    with TerminalProcess(config) as terminal:
        terminal.wait_notice("READY=1")
        poll_until(lambda: merchant_received(sb) == [777], 30, "the late forward")
        assert terminal.stop() == 0
    assert f"sale {sale_id} paid (777 sats, seen via status query)" in terminal.stderr
    # A third start finds nothing more to do: still exactly one forward.
    with TerminalProcess(config) as terminal:
        terminal.wait_notice("READY=1")
        assert terminal.stop() == 0
    assert merchant_received(sb) == [777]
