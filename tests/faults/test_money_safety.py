"""Money safety, second round, on the real process: clocks, destinations, amounts, one journal.

Each test reproduces a finding of the adversarial review (a float on BlinkPOS lets a second
payout really settle, so a double or a wrong wallet shows in the ledger) and shows it fixed. The
terminal's wall clock is moved apart from the sandbox's (``tests.faults.skewed``) and made to
jump while it runs; the sandbox is Blink, whose clock is the one that counts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.sandbox import SandboxThread
from tests.faults.harness import REPO, Harness
from tests.faults.ledger_check import check_exactly_once, read_attempts, read_book
from tests.faults.test_lost_events import on_sandbox
from tests.faults.test_sigkill import DAY_AND_AN_HOUR
from tests.support.timing import scaled

AMOUNT = 2100
PAY = "lnInvoicePaymentSend"
FLOAT = 50_000  # BlinkPOS holds a float: a second payout would really be paid from it


def fund_float(sb: SandboxThread) -> None:
    """Put a float on BlinkPOS, as a shop that makes change from it would."""

    def fund() -> None:
        sb.ledger.wallet_of("blinkpos").balance = FLOAT

    on_sandbox(sb, fund)


def exactly_once(harness: Harness, *, merchant: int) -> None:
    """The merchant got exactly ``merchant`` sats, every sale once, the float untouched."""
    harness.wait_nothing_owed()
    assert harness.stop() == 0
    verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    assert verdict.clean, verdict
    assert harness.sb.balance("merchant") == merchant
    assert harness.sb.balance("blinkpos") == FLOAT


def set_offset(path: Path, seconds: float) -> None:
    """Move the terminal's wall clock (it reads this file at every look at the clock)."""
    path.write_text(f"{seconds}\n", encoding="ascii")


@pytest.mark.parametrize("jump", [-86_400.0, -3_600.0, 3_600.0, 86_400.0])
def test_a_clock_jump_mid_sale_pays_once_and_promptly(harness: Harness, jump: float) -> None:
    fund_float(harness.sb)
    offset = harness.folder / "offset"
    set_offset(offset, 0.0)
    assert harness.start(clock_offset=offset)
    sale = harness.open_sale(AMOUNT)
    set_offset(offset, jump)  # time sync (or a bad one) moves the clock under the QR
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_forwarded(sale.id, timeout=15.0)
    exactly_once(harness, merchant=AMOUNT)


@pytest.mark.parametrize("offset", [-86_400.0, -3_600.0, 3_600.0, 86_400.0])
def test_a_wrong_clock_between_a_crash_and_the_restart_pays_once(
    harness: Harness, offset: float
) -> None:
    fund_float(harness.sb)
    harness.sb.faults.fail_next(10**6, "timeout", operation=PAY, execute=True)  # lost answers
    assert harness.start()
    sale = harness.open_sale(AMOUNT)
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_for(lambda: len(read_attempts(harness.journal_path, sale.id)) >= 1, "a pay call")
    assert harness.stop() == 0
    harness.sb.faults.clear()
    # The Pi boots with its clock an hour or a day off: it must neither pay twice nor stall.
    assert harness.start(clock_offset=offset)
    harness.wait_forwarded(sale.id, timeout=20.0)
    exactly_once(harness, merchant=AMOUNT)


def test_a_second_terminal_on_one_state_directory_refuses_to_start(harness: Harness) -> None:
    assert harness.start()
    second = subprocess.run(
        [sys.executable, "-m", "terminal", "run", "--config", str(harness.config_path)],
        capture_output=True,
        text=True,
        timeout=scaled(30),
        cwd=REPO,
        check=False,
    )
    assert second.returncode == 1
    assert "another terminal (pid" in second.stderr
    assert "only one terminal may use a journal" in second.stderr
    assert harness.alive()  # the first one goes on
    assert harness.stop() == 0


def test_a_cloned_journal_forwards_nothing_until_adopted(
    sandbox_thread: SandboxThread, tmp_path: Path
) -> None:
    sb = sandbox_thread
    fund_float(sb)
    first = Harness(sb, tmp_path / "first")
    try:
        sb.faults.fail_next(10**6, "500", operation=PAY)
        assert first.start()
        sale = first.open_sale(AMOUNT)
        assert first.pay(sale) == "SUCCESS"
        first.wait_for(lambda: first.state_of(sale.id) == "received", "received")
        assert first.stop() == 0
        # The SD card is imaged into a second unit: same journal, another machine id.
        clone = Harness(sb, tmp_path / "clone")
        shutil.copytree(first.folder / "state", clone.folder / "state")
        machine = clone.folder / "machine-id"
        machine.write_text("0123456789abcdef0123456789abcdef\n")
        text = clone.config_path.read_text().replace(
            "[terminal]\n", f'[terminal]\nmachine_id_file = "{machine}"\n'
        )
        clone.config_path.write_text(text)
        sb.faults.clear()
        sb.clock.advance(DAY_AND_AN_HOUR)  # the merchant invoice expires: both would replace
        assert clone.start(live=False)
        clone.wait_for(lambda: "belongs to another device" in clone.log_text(), "the refusal")
        assert first.start(clock_offset=DAY_AND_AN_HOUR)
        first.wait_forwarded(sale.id)
        assert clone.stop() == 0
        assert "belongs to another device" in clone.log_text()
        assert clone.journal()[sale.id].state == "received"  # the clone forwarded nothing
        exactly_once(first, merchant=AMOUNT)
        # Adopting needs the operator's word.
        adopt = [sys.executable, "-m", "terminal", "adopt", "--config", str(clone.config_path)]
        refused = subprocess.run(adopt, capture_output=True, text=True, cwd=REPO, check=False)
        assert refused.returncode == 1
        assert "paid twice" in refused.stderr
        done = subprocess.run(
            [*adopt, "--yes"], capture_output=True, text=True, cwd=REPO, check=False
        )
        assert done.returncode == 0, done.stderr
        assert clone.start()  # now its own: ready
        assert clone.stop() == 0
    finally:
        first.close()


@pytest.mark.parametrize("operation", ["LnInvoiceCreate", "LnInvoiceCreateOnBehalfOfRecipient"])
def test_an_invoice_for_another_amount_is_refused_before_the_qr(
    harness: Harness, operation: str
) -> None:
    fund_float(harness.sb)
    assert harness.start()
    on_sandbox(harness.sb, lambda: harness.sb.faults.tamper(operation, 1, None))
    harness.type(f"c{AMOUNT}\n")
    harness.wait_for(
        lambda: any(s.state == "failed" for s in harness.journal().values()), "the sale refused"
    )
    assert "invoice asks for 1 sats, not 2100" in harness.log_text()
    assert harness.stop() == 0
    assert harness.sb.balance("blinkpos") == FLOAT


def test_a_changed_merchant_applies_to_new_sales_only(harness: Harness) -> None:
    fund_float(harness.sb)
    harness.sb.faults.fail_next(10**6, "500", operation=PAY)
    assert harness.start()
    sale = harness.open_sale(AMOUNT)
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_for(lambda: harness.state_of(sale.id) == "received", "received")
    assert harness.stop() == 0
    # The operator points the terminal at another account; the old sale's invoice expires.
    text = harness.config_path.read_text()
    text = text.replace('username = "merchant"', 'username = "staff_tips"')
    harness.config_path.write_text(text)
    harness.sb.faults.clear()
    harness.sb.clock.advance(DAY_AND_AN_HOUR)
    assert harness.start(clock_offset=DAY_AND_AN_HOUR)
    harness.wait_forwarded(sale.id)
    assert harness.sb.balance("staff_tips") == 0  # the replacement went where the sale was made
    exactly_once(harness, merchant=AMOUNT)


def test_forwarding_does_not_wait_for_a_failing_username_lookup(harness: Harness) -> None:
    fund_float(harness.sb)
    harness.sb.faults.fail_next(10**6, "500", operation=PAY)
    assert harness.start()
    sale = harness.open_sale(AMOUNT)
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_for(lambda: harness.state_of(sale.id) == "received", "received")
    assert harness.stop() == 0
    harness.sb.faults.clear()
    harness.sb.faults.fail_next(10**6, "500", operation="accountDefaultWallet")
    assert harness.start(live=False)  # not ready: no sale may start without the wallets ...
    harness.wait_forwarded(sale.id)  # ... but the journaled one goes out with its own
    harness.sb.faults.clear()
    exactly_once(harness, merchant=AMOUNT)
