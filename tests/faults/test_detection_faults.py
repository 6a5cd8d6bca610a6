"""The real terminal against a misbehaving Blink: lost sockets, lost events, failing pay calls.

Each test ends with the ledger check: every sale the customer paid reached the merchant exactly
once, nothing else left BlinkPOS. Where the merchant must be told something, the log lines (what
the screen and the operator are shown) are checked to be true.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from terminal.sandbox import Sandbox, SandboxThread
from tests.faults.harness import Harness
from tests.faults.ledger_check import check_exactly_once, read_attempts, read_book
from tests.faults.test_sigkill import DAY_AND_AN_HOUR

# The sandbox matches a fault on the operationName sent, else on the root field; the terminal
# sends no operationName, so the root field is what names the pay call.
PAY = "lnInvoicePaymentSend"


def _finish_clean(harness: Harness, *, allowed_out: tuple[str, ...] = ()) -> None:
    harness.wait_nothing_owed()
    assert harness.stop() == 0
    verdict = check_exactly_once(read_book(harness.sb), harness.journal(), allowed_out=allowed_out)
    assert verdict.clean, verdict


def _seen_via(harness: Harness, sale_id: str) -> str:
    found = re.search(
        rf"sale {re.escape(sale_id)} paid \(\d+ sats, seen via ([a-zA-Z ]+)\)", harness.log_text()
    )
    assert found, f"no 'paid' line for {sale_id}"
    return found.group(1)


def test_socket_dropped_between_qr_and_payment(harness: Harness) -> None:
    """The socket dies while the QR is up; the payment is still found and forwarded once."""
    assert harness.start()
    sale = harness.open_sale(2100)
    assert harness.sb.faults.drop_sockets() >= 1
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_forwarded(sale.id)
    _finish_clean(harness)
    assert harness.sb.balance("merchant") == 2100


def test_events_lost_while_the_customer_pays(harness: Harness) -> None:
    """No push ever arrives for the payment; the catch-up after a reconnect finds it."""
    assert harness.start()
    sale = harness.open_sale(1500)
    harness.sb.faults.lose_events(True)
    assert harness.pay(sale) == "SUCCESS"
    # The socket is cut once events flow again: Blink has no replay, so only a reconcile
    # (or the status subscription's re-emit on resubscribe) can tell the terminal.
    harness.sb.faults.lose_events(False)
    assert harness.sb.faults.drop_sockets() >= 1
    harness.wait_forwarded(sale.id)
    assert _seen_via(harness, sale.id) in ("status query", "status subscription")
    _finish_clean(harness)
    assert harness.sb.balance("merchant") == 1500


def test_merchant_invoice_expired_while_offline_is_replaced_once(harness: Harness) -> None:
    """Paid, every pay call fails, the stall is off for a day: a replacement is paid, once."""
    assert harness.start()
    sale = harness.open_sale(3300)
    harness.sb.faults.fail_next(10**6, "500", operation=PAY)
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_for(
        lambda: len(read_attempts(harness.journal_path, sale.id)) >= 2, "two failed pay calls"
    )
    assert harness.state_of(sale.id) == "received"  # true: received, not forwarded
    assert harness.stop() == 0
    original = harness.journal()[sale.id].merchant_hashes[0]

    harness.sb.faults.clear()
    harness.sb.clock.advance(DAY_AND_AN_HOUR)
    assert harness.start(clock_offset=DAY_AND_AN_HOUR)
    harness.wait_forwarded(sale.id)
    _finish_clean(harness)

    book = read_book(harness.sb)
    assert book.invoices[original].status == "EXPIRED"
    hashes = harness.journal()[sale.id].merchant_hashes
    assert len(hashes) == 2, "exactly one replacement"
    paid = [p for p in book.payments if p.receiver_wallet_id == book.merchant_wallet]
    assert [p.payment_hash for p in paid] == [hashes[1]]
    assert "merchant invoice expired unpaid; replaced" in harness.log_text()


@pytest.mark.parametrize("kind", ["500", "429", "timeout"])
@pytest.mark.parametrize("execute", [True, False], ids=["answer-lost", "request-lost"])
def test_pay_call_fails_once(harness: Harness, kind: str, execute: bool) -> None:
    """A lost answer is recognised by asking the status; a lost request is paid again. Once."""
    harness.sb.faults.timeout_hold = 5.0  # longer than the terminal's 2 s call timeout
    assert harness.start()
    sale = harness.open_sale(4200)
    harness.sb.faults.fail_next(1, kind, operation=PAY, execute=execute)
    assert harness.pay(sale) == "SUCCESS"
    harness.wait_forwarded(sale.id, timeout=30.0)
    _finish_clean(harness)

    merchant_hash = harness.journal()[sale.id].merchant_hashes[-1]
    reached = [r for r in read_book(harness.sb).pay_requests if r.payment_hash == merchant_hash]
    attempts = read_attempts(harness.journal_path, sale.id)
    assert attempts[0][1] == "lost"
    # A lost answer: the one request that ran paid it, and the status said so (no repeat).
    # A lost request: it never ran, so exactly one more request was sent, and it paid.
    assert [r.outcome for r in reached] == ["SUCCESS"]
    assert len(attempts) == (1 if execute else 2)
    assert harness.sb.balance("merchant") == 4200


async def _drain(sandbox: Sandbox) -> str:
    """BlinkPOS pays its whole balance to the customer (a sweep, or a thief); the hash."""
    ledger = sandbox.ledger
    amount = sandbox.balance("blinkpos")
    invoice = ledger.create_invoice(sandbox.wallet_id("customer"), amount, "sweep")
    assert ledger.pay(sandbox.wallet_id("blinkpos"), invoice.payment_request).status == "SUCCESS"
    return invoice.payment_hash


async def _pay_and_drain(sandbox: Sandbox, payment_request: str) -> tuple[str, str]:
    """The customer pays, then BlinkPOS is drained, with no await between: the status, hash.

    Neither step awaits, so the terminal cannot hear of the payment (nor pay anything) until
    the wallet is already empty: its first pay call is sure to meet an empty BlinkPOS.
    """
    status = await sandbox.pay(payment_request)
    return status, await _drain(sandbox)


async def _foreign_invoice(sandbox: Sandbox, amount: int, external_id: str) -> Any:
    """A BlinkPOS invoice made by somebody else (another terminal on the same account)."""
    return sandbox.ledger.create_invoice(
        sandbox.wallet_id("blinkpos"), amount, "other", None, external_id
    )


def _sandbox(harness: Harness) -> Sandbox:
    sandbox = harness.sb.sandbox
    assert sandbox is not None
    return sandbox


def _http_faults(sb: SandboxThread) -> list[Any]:
    http: list[Any] = sb.faults.describe()["http"]
    return http


def test_insufficient_balance_is_shown_true_and_forwarded_once_fixed(harness: Harness) -> None:
    """BlinkPOS cannot pay: the sale stays 'received, not forwarded'; after a top-up, once."""
    assert harness.start()
    sale = harness.open_sale(3000)
    assert sale.pos_hash is not None
    request = harness.sb.ledger.invoices[sale.pos_hash].payment_request
    status, sweep = harness.sb.call(_pay_and_drain(_sandbox(harness), request))
    assert status == "SUCCESS"
    harness.wait_for(lambda: "forward failing" in harness.log_text(), "the failure reported")

    log = harness.log_text()
    assert re.search(rf"sale {re.escape(sale.id)}: forward failing.*cannot pay", log)
    assert f"sale {sale.id}: 3000 sats received and forwarded" not in log
    assert harness.state_of(sale.id) == "received"
    assert harness.sb.balance("merchant") == 0

    # The operator tops BlinkPOS up (a payment no terminal journaled) and restarts it.
    top_up = harness.sb.call(_foreign_invoice(_sandbox(harness), 3000, "operator-top-up"))
    assert harness.sb.pay(top_up.payment_request) == "SUCCESS"
    assert harness.stop() == 0
    assert harness.start()
    harness.wait_forwarded(sale.id)
    _finish_clean(harness, allowed_out=(sweep,))
    assert harness.sb.balance("merchant") == 3000
    assert harness.sb.balance("blinkpos") == 0
    assert f"sale {sale.id}: 3000 sats received and forwarded" in harness.log_text()


def test_another_terminals_payment_is_never_forwarded(harness: Harness) -> None:
    """A paid BlinkPOS invoice not in this journal stays in BlinkPOS, through a restart too."""
    assert harness.start()
    foreign = harness.sb.call(_foreign_invoice(_sandbox(harness), 777, "tother-1"))
    assert harness.sb.pay(foreign.payment_request) == "SUCCESS"
    # Sales after it, on the same socket and after a restart's full catch-up, are the fence.
    first = harness.open_sale(100)
    assert harness.pay(first) == "SUCCESS"
    harness.wait_forwarded(first.id)
    assert harness.stop() == 0
    assert harness.start()
    second = harness.open_sale(200)
    assert harness.pay(second) == "SUCCESS"
    harness.wait_forwarded(second.id)
    _finish_clean(harness)
    assert harness.sb.balance("blinkpos") == 777
    assert harness.sb.balance("merchant") == 300


def test_payment_made_while_the_stall_was_offline_for_an_hour(harness: Harness) -> None:
    """The customer paid while the terminal was off; it comes back after the QR expired: once."""
    assert harness.start()
    sale = harness.open_sale(1800)
    assert harness.stop() == 0  # the stall loses power with the QR on screen
    assert harness.pay(sale) == "SUCCESS"
    hour = 3600.0  # past the POS invoice's 15 min and any grace for watching it
    harness.sb.clock.advance(hour)
    assert harness.start(clock_offset=hour)
    harness.wait_forwarded(sale.id)
    _finish_clean(harness)
    assert harness.sb.balance("merchant") == 1800


def test_a_failed_catch_up_query_is_asked_again_while_the_socket_is_up(harness: Harness) -> None:
    """Paid while the terminal was off; its first status queries after the restart fail.

    The socket comes up at once and pushes nothing (Blink has no replay), so only asking again
    finds the payment; it used to wait for the next reconnect or restart.
    """
    assert harness.start()
    sale = harness.open_sale(2400)
    assert harness.stop() == 0
    assert harness.pay(sale) == "SUCCESS"
    # Two: the start-up catch-up and the one after the socket's first UP, if they are separate.
    harness.sb.faults.fail_next(2, "500", operation="lnInvoicePaymentStatusByHash")
    assert harness.start()
    harness.wait_forwarded(sale.id)
    assert _seen_via(harness, sale.id) == "status query"
    assert not _http_faults(harness.sb), "both failures were really served"
    _finish_clean(harness)
    assert harness.sb.balance("merchant") == 2400
