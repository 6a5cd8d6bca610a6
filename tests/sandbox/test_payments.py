"""Paying invoices: intraledger settlement and every refusal of API-NOTES §5 and §7."""

from __future__ import annotations

import hashlib
import time

import httpx
import pytest

from terminal.sandbox import Sandbox, make_invoice
from terminal.sandbox.clock import Clock
from terminal.sandbox.ledger import Ledger
from terminal.sandbox.records import EXTERNAL_PAYER
from terminal.sandbox.rules import ALREADY_PAID_WINDOW_S, repeat_is_already_paid
from tests.sandbox.helpers import create_invoice, gql, pay_via_api
from tests.sandbox.test_http import STATUS
from tests.support.timing import scaled


async def test_payment_settles_intraledger_with_zero_fee(sandbox: Sandbox) -> None:
    before_customer, before_pos = sandbox.balance("customer"), sandbox.balance("blinkpos")
    invoice = await create_invoice(sandbox, 2100, "Table 4")
    payload = await pay_via_api(sandbox, invoice["paymentRequest"], memo="coffee")
    assert payload["status"] == "SUCCESS"
    assert payload["errors"] == []
    tx = payload["transaction"]
    assert tx["direction"] == "SEND"
    assert tx["settlementAmount"] == -2100
    assert tx["settlementFee"] == 0
    assert tx["memo"] == "coffee"
    assert tx["initiationVia"] == {
        "__typename": "InitiationViaLn",
        "paymentHash": invoice["paymentHash"],
        "paymentRequest": invoice["paymentRequest"],
    }
    via = tx["settlementVia"]
    assert via["__typename"] == "SettlementViaIntraLedger"
    assert via["counterPartyUsername"] == "blinkpos"
    assert hashlib.sha256(bytes.fromhex(via["preImage"])).hexdigest() == invoice["paymentHash"]
    assert sandbox.balance("customer") == before_customer - 2100
    assert sandbox.balance("blinkpos") == before_pos + 2100
    [payment] = sandbox.ledger.payments_for(invoice["paymentHash"])
    assert payment.amount == 2100
    assert payment.payer_wallet_id == sandbox.wallet_id("customer")


async def test_same_wallet_retry_soon_is_already_paid(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 500)
    assert (await pay_via_api(sandbox, invoice["paymentRequest"]))["status"] == "SUCCESS"
    balance = sandbox.balance("customer")
    again = await pay_via_api(sandbox, invoice["paymentRequest"])
    assert again["status"] == "ALREADY_PAID"
    assert again["errors"] == []
    assert sandbox.balance("customer") == balance
    assert len(sandbox.ledger.payments_for(invoice["paymentHash"])) == 1


async def test_later_retry_is_failure_already_paid(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 500, expiresIn=60)
    await pay_via_api(sandbox, invoice["paymentRequest"])
    sandbox.clock.advance(301)
    later = await pay_via_api(sandbox, invoice["paymentRequest"])
    assert later["status"] == "FAILURE"
    assert later["errors"][0]["code"] == "LIGHTNING_PAYMENT_ERROR"
    assert later["errors"][0]["message"] == "Invoice is already paid"
    assert len(sandbox.ledger.payments_for(invoice["paymentHash"])) == 1


_PAY_SHORT = """
mutation P($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) { status errors { message code } }
}
"""


async def test_second_payer_after_the_first_gets_failure(sandbox: Sandbox) -> None:
    funding = await create_invoice(sandbox, 1000)
    await sandbox.pay(funding["paymentRequest"])  # blinkpos holds 1000
    invoice = await create_invoice(sandbox, 300, key_name="customer")
    assert await sandbox.pay(invoice["paymentRequest"], payer="blinkpos") == "SUCCESS"
    # The merchant's key is READ only, so the third payer pays through the ledger directly.
    result = sandbox.ledger.pay(sandbox.wallet_id("merchant"), invoice["paymentRequest"])
    assert result.status == "FAILURE"
    assert result.errors[0].blink_message == "Invoice is already paid"


async def test_blink_payer_settles_an_expired_invoice(sandbox: Sandbox) -> None:
    # Intraledger payments of an invoice do not check its expiry on the real Blink.
    invoice = await create_invoice(sandbox, 100, expiresIn=1)
    sandbox.clock.advance(120)
    before = (await gql(sandbox, STATUS, {"input": {"paymentHash": invoice["paymentHash"]}})).json()
    assert before["data"]["lnInvoicePaymentStatusByHash"]["status"] == "EXPIRED"
    payload = await pay_via_api(sandbox, invoice["paymentRequest"])
    assert payload["status"] == "SUCCESS"
    assert len(sandbox.ledger.payments_for(invoice["paymentHash"])) == 1
    after = (await gql(sandbox, STATUS, {"input": {"paymentHash": invoice["paymentHash"]}})).json()
    assert after["data"]["lnInvoicePaymentStatusByHash"]["status"] == "PAID"


async def test_outside_payer_cannot_pay_an_expired_invoice(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100, expiresIn=1)
    sandbox.clock.advance(120)
    result = sandbox.ledger.pay_external(invoice["paymentRequest"])
    assert result.status == "FAILURE"
    assert result.errors[0].blink_message == "Invoice already expired, or has bad payment hash"
    assert sandbox.ledger.payments_for(invoice["paymentHash"]) == []


async def test_outside_payer_settles_over_lightning(sandbox: Sandbox) -> None:
    customer = sandbox.balance("customer")
    invoice = await create_invoice(sandbox, 700)
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        body = {"paymentRequest": invoice["paymentRequest"], "external": True}
        answer = (await client.post(f"{sandbox.control_url}/pay", json=body)).json()
    assert answer == {"status": "SUCCESS", "errors": []}
    assert sandbox.balance("blinkpos") == 700
    assert sandbox.balance("customer") == customer  # no Blink wallet paid
    [payment] = sandbox.ledger.payments_for(invoice["paymentHash"])
    assert payment.payer_wallet_id == EXTERNAL_PAYER
    [received] = sandbox.ledger.transactions_by_hash(
        sandbox.wallet_id("blinkpos"), invoice["paymentHash"]
    )
    assert received.via == "lightning"


def test_already_paid_window_is_strict() -> None:
    assert repeat_is_already_paid(True, 1000.0, 1000.0 + ALREADY_PAID_WINDOW_S - 0.001)
    assert not repeat_is_already_paid(True, 1000.0, 1000.0 + ALREADY_PAID_WINDOW_S)
    assert not repeat_is_already_paid(False, 1000.0, 1000.0)


class _StoppedClock(Clock):
    """A sandbox clock that moves only when told: the window's edge, to the microsecond."""

    def __init__(self, at: float) -> None:
        super().__init__()
        self.at = at

    def now(self) -> float:
        return self.at + self.offset


@pytest.mark.parametrize(
    ("later", "status"),
    [(ALREADY_PAID_WINDOW_S - 0.5, "ALREADY_PAID"), (ALREADY_PAID_WINDOW_S, "FAILURE")],
)
def test_ledger_repeat_at_the_window_edge(later: float, status: str) -> None:
    clock = _StoppedClock(1_800_000_000.0)
    ledger = Ledger(clock)
    ledger.add_account("shop")
    payer = ledger.add_account("buyer", 10_000).wallets[0].id
    invoice = ledger.create_invoice(ledger.wallet_of("shop").id, 100, expires_in=60)
    assert ledger.pay(payer, invoice.payment_request).status == "SUCCESS"
    clock.advance(later)
    assert ledger.pay(payer, invoice.payment_request).status == status


async def test_insufficient_balance(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, sandbox.balance("customer") + 1)
    payload = await pay_via_api(sandbox, invoice["paymentRequest"])
    assert payload["status"] == "FAILURE"
    assert payload["errors"][0]["code"] == "INSUFFICIENT_BALANCE"


async def test_paying_own_invoice_is_cant_pay_self(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100, key_name="customer")
    payload = await pay_via_api(sandbox, invoice["paymentRequest"], payer="customer")
    assert payload["errors"][0]["code"] == "CANT_PAY_SELF"


async def test_bad_bolt11_is_decode_error(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    broken = invoice["paymentRequest"][:-1] + ("q" if invoice["paymentRequest"][-1] != "q" else "p")
    payload = await pay_via_api(sandbox, broken)
    assert payload["status"] == "FAILURE"
    assert payload["errors"][0]["code"] == "INVOICE_DECODE_ERROR"


async def test_foreign_invoice_finds_no_route(sandbox: Sandbox) -> None:
    foreign = make_invoice(100, "elsewhere", 600, now=time.time())
    payload = await pay_via_api(sandbox, foreign.payment_request)
    assert payload["errors"][0]["code"] == "ROUTE_FINDING_ERROR"


async def test_write_scope_needed_to_pay(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100, key_name="customer")
    data = {"walletId": sandbox.wallet_id("blinkpos"), "paymentRequest": invoice["paymentRequest"]}
    answer = await gql(sandbox, _PAY_SHORT, {"input": data}, sandbox.keys["blinkpos_receive_only"])
    payload = answer.json()["data"]["lnInvoicePaymentSend"]
    assert payload["status"] == "FAILURE"
    assert "not authorized to execute mutations" in payload["errors"][0]["message"]
    assert sandbox.ledger.payments_for(invoice["paymentHash"]) == []


async def test_paying_from_another_accounts_wallet_is_refused(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    data = {"walletId": sandbox.wallet_id("customer"), "paymentRequest": invoice["paymentRequest"]}
    answer = await gql(sandbox, _PAY_SHORT, {"input": data}, sandbox.keys["blinkpos"])
    payload = answer.json()["data"]["lnInvoicePaymentSend"]
    assert "InvalidWalletForAccountError" in payload["errors"][0]["message"]


async def test_every_pay_request_is_recorded(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    await pay_via_api(sandbox, invoice["paymentRequest"])
    await pay_via_api(sandbox, invoice["paymentRequest"])
    mine = [r for r in sandbox.ledger.pay_requests if r.payment_hash == invoice["paymentHash"]]
    assert [r.outcome for r in mine] == ["SUCCESS", "ALREADY_PAID"]
    assert mine[0].at <= mine[1].at
    assert {r.wallet_id for r in mine} == {sandbox.wallet_id("customer")}
    _at, wallet, payment_hash, outcome = mine[0]
    assert (wallet, payment_hash, outcome) == (
        sandbox.wallet_id("customer"),
        invoice["paymentHash"],
        "SUCCESS",
    )


def test_made_invoices_are_realistic() -> None:
    for memo in ("", "Table 4", "Sale 2026-11-26 #0042 at the market stall"):
        made = make_invoice(2100, memo, 900, now=1_800_000_000)
        assert made.payment_request.startswith("lnbc21u1")
        assert 250 <= len(made.payment_request) <= 350
        assert hashlib.sha256(bytes.fromhex(made.preimage)).hexdigest() == made.payment_hash
        assert made.expires_at == 1_800_000_900
