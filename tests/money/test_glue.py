"""The money path's glue, in-process against the sandbox: every way a sale can start or stop.

Each test runs the real :class:`Terminal` (journal on its worker thread, sockets, forwarder,
flow) on this test's loop, with the sandbox on the same loop, and judges what the merchant sees,
what the journal holds and what the sandbox's ledger moved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.keys import Key
from terminal.links import LinkState
from terminal.money.journal import Journal
from terminal.money.sale import AttemptOutcome, SaleState
from terminal.sandbox import Sandbox
from terminal.screens.model import Error, Idle, NotReady, Paid, ShowInvoice, Success
from tests.money.rig import Rig, terminal_config

AMOUNT = 2100


async def test_a_whole_sale(sandbox: Sandbox, tmp_path: Path) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        assert qr.amount_sats == AMOUNT
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        assert sale.state is SaleState.FORWARDED
    assert sandbox.balance("merchant") == AMOUNT
    assert sandbox.balance("blinkpos") == 0


async def test_a_payment_and_its_first_pay_request_share_one_journal_write(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The settler hands the received sale to the forwarder with its first pay attempt
    journaled in the same transaction (same time stamp), and that request paid the merchant."""
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        await rig.link(LinkState.UP)  # Blink's time and nodes are known: a plan can be made
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        journal = Journal.open(Path(rig.config.terminal.state_dir))
        try:
            attempts = journal.attempts(sale.id)
        finally:
            journal.close()
    assert sale.state is SaleState.FORWARDED
    (attempt,) = attempts  # no second attempt, no status query first
    assert attempt.started_at == sale.received_at
    assert attempt.outcome is AttemptOutcome.SUCCESS
    assert sandbox.balance("merchant") == AMOUNT


POS_INVOICE, MERCHANT_INVOICE = "LnInvoiceCreate", "LnInvoiceCreateOnBehalfOfRecipient"


@pytest.mark.parametrize(
    ("kind", "operations", "title"),
    [
        ("500", [POS_INVOICE, MERCHANT_INVOICE], "Blink unreachable"),
        ("timeout", [POS_INVOICE, MERCHANT_INVOICE], "Blink unreachable"),
        ("429", [POS_INVOICE, MERCHANT_INVOICE], "Too many sales"),
        # Only one of the two invoices fails: the sale still never reaches the screen.
        ("500", [MERCHANT_INVOICE], "Blink unreachable"),
        ("500", [POS_INVOICE], "Blink unreachable"),
    ],
)
async def test_invoices_that_cannot_be_made_fail_the_sale_and_say_why(
    sandbox: Sandbox, tmp_path: Path, kind: str, operations: list[str], title: str
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.link(LinkState.UP)  # no other call to Blink can take the fault now
        for operation in operations:
            sandbox.faults.fail_next(1, kind, operation)
        rig.type_amount(AMOUNT)
        error = await rig.screen(Error)
        assert error.title == title
        (sale,) = rig.sales()
        assert sale.state is SaleState.FAILED
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)
        # Retryable: OK tries again, and this time the QR comes.
        rig.press(Key.OK)
        qr = await rig.screen(ShowInvoice)
        assert qr.amount_sats == AMOUNT


async def test_a_key_without_the_receive_scope_cannot_start_a_sale(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = terminal_config(sandbox, tmp_path)
    read_only = tmp_path / "keys" / "blinkpos_read_only.key"
    assert read_only.exists()
    config = terminal_config(sandbox, tmp_path, blinkpos={"key_file": str(read_only)})
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        error = await rig.screen(Error)
        assert error.title == "Key lacks scope"
        assert "RECEIVE" in error.action or "RECEIVE" in error.detail


async def test_the_merchant_cancels_a_shown_qr_and_a_late_payment_is_still_forwarded(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        rig.press(Key.CANCEL)
        await rig.screen(Idle)
        await rig.wait_for(
            lambda: rig.sales()[0].state is SaleState.CANCELLED, "the sale journaled cancelled"
        )
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.wait_for(
            lambda: rig.sales()[0].state is SaleState.FORWARDED, "the late payment forwarded"
        )
    assert sandbox.balance("merchant") == AMOUNT


async def test_a_cancel_while_invoices_are_made_journals_them_cancelled(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        sandbox.faults.latency = 0.3  # long enough for the merchant to change their mind
        rig.type_amount(AMOUNT)
        rig.press(Key.CANCEL)
        await rig.screen(Idle)
        await rig.wait_for(
            lambda: bool(rig.sales()) and rig.sales()[0].state is SaleState.CANCELLED,
            "the late invoices journaled as a cancelled sale",
        )
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)


async def test_a_forward_refused_for_lack_of_write_scope_keeps_the_money_and_says_so(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    key = sandbox.ledger.add_key("no_write", "blinkpos", {"READ", "RECEIVE"}).value
    key_file = tmp_path / "no-write.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    config = terminal_config(sandbox, tmp_path, blinkpos={"key_file": str(key_file)})
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Paid)
        error = await rig.screen(Error)
        assert error.title == "Forward failing"
        assert "safe" in error.action
        (sale,) = rig.sales()
        assert sale.state is SaleState.RECEIVED  # received, kept, retried slowly
    assert sandbox.balance("merchant") == 0
    assert sandbox.balance("blinkpos") == AMOUNT


async def test_a_forward_with_a_revoked_key_keeps_the_money_and_says_so(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        # The key is revoked in the dashboard between the sale and its forward.
        del sandbox.ledger.keys[sandbox.keys["blinkpos"]]
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        error = await rig.screen(Error, lambda e: e.title == "Forward failing")
        assert "safe" in error.action
        (sale,) = rig.sales()
        assert sale.state is SaleState.RECEIVED
    assert sandbox.balance("blinkpos") == AMOUNT


async def test_a_task_that_dies_stops_the_terminal_with_exit_1(
    sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.peripherals.keypad_lost.set()
        assert await rig.exit_code() == 1
    assert "stopping: the keypad's GPIO chip went away" in caplog.text


async def test_a_payment_lost_while_the_socket_was_down_is_caught_up_after_the_reconnect(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
        sandbox.faults.lose_events(True)  # Blink has no replay: nothing pushed reaches us
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        sandbox.faults.lose_events(False)
        sandbox.faults.drop_sockets()  # the reconnect's catch-up query finds the payment
        await rig.screen(Success)
        (sale,) = rig.sales()
        assert sale.state is SaleState.FORWARDED
    assert sandbox.balance("merchant") == AMOUNT


async def test_a_sale_paid_while_the_terminal_was_off_is_forwarded_at_start(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle)
        rig.type_amount(AMOUNT)
        qr = await rig.screen(ShowInvoice)
    # Off: the customer pays now, and nobody is listening.
    assert await sandbox.pay(qr.payment_request) == "SUCCESS"
    async with Rig(sandbox, tmp_path) as rig:
        await rig.wait_for(
            lambda: rig.sales()[0].state is SaleState.FORWARDED, "the start-up catch-up forward"
        )
    assert sandbox.balance("merchant") == AMOUNT


async def test_an_unknown_merchant_username_is_shown_and_no_sale_can_start(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = terminal_config(sandbox, tmp_path, merchant={"username": "nobody-here"})
    async with Rig(sandbox, tmp_path, config) as rig:
        not_ready = await rig.screen(NotReady, lambda s: "merchant.username" in s.reason)
        assert "nobody-here" in not_ready.reason
        rig.type_amount(AMOUNT)
        assert not any(isinstance(s, ShowInvoice | Idle) for s in rig.screens)
    assert rig.sales() == []


async def test_a_failed_wallet_lookup_is_retried_until_blink_answers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.faults.fail_next(1, "500", "Me")
    async with Rig(sandbox, tmp_path) as rig:
        await rig.screen(Idle, within=15)
        rig.type_amount(AMOUNT)
        await rig.screen(ShowInvoice)


async def test_a_rejected_blinkpos_key_is_named_on_screen(sandbox: Sandbox, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.key"
    bogus.write_text("blink_" + "x" * 40 + "\n")
    bogus.chmod(0o600)
    config = terminal_config(sandbox, tmp_path, blinkpos={"key_file": str(bogus)})
    async with Rig(sandbox, tmp_path, config) as rig:
        screen = await rig.screen(NotReady, lambda s: "BlinkPOS key" in s.reason)
        assert "Replace the BlinkPOS key" in screen.action
        assert "x" * 10 not in screen.reason + screen.action


async def test_a_merchant_invoice_swapped_for_another_accounts_is_refused_before_the_qr(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    keys = sandbox.write_keys(tmp_path / "keys")
    config = terminal_config(
        sandbox, tmp_path, merchant={"username": "merchant", "key_file": str(keys["merchant"])}
    )
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.link(LinkState.UP)
        sandbox.faults.tamper(MERCHANT_INVOICE, None, "staff_tips")
        rig.type_amount(AMOUNT)
        error = await rig.screen(Error)
        assert error.title == "Wrong invoice"
        assert "not the merchant's" in error.detail
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)
        rig.press(Key.OK)  # Blink behaves again: the next try is confirmed and shown
        await rig.screen(ShowInvoice)
        (newest, failed) = rig.sales()[:2]
        assert failed.state is SaleState.FAILED
        assert newest.merchant is not None
        assert newest.merchant.verified


@pytest.mark.parametrize("fault", ["trickle", "huge"])
async def test_a_hostile_answer_ends_creating_within_the_deadline(
    sandbox: Sandbox, tmp_path: Path, fault: str
) -> None:
    async with Rig(sandbox, tmp_path) as rig:
        await rig.link(LinkState.UP)
        if fault == "trickle":
            sandbox.faults.trickle(1, 2)  # two bytes a second: never done within the deadline
        else:
            sandbox.faults.huge_answer(1, 50_000_000)
        rig.type_amount(AMOUNT)
        error = await rig.screen(Error, within=15)
        assert error.title in ("Blink unreachable", "Invoice refused")
        (sale,) = rig.sales()
        assert sale.state is SaleState.FAILED
