"""The API the terminal calls next: globals, invoiceByPaymentHash, the tip recipient, the LnUpdate
selection without deprecated fields, Blink's ``Date`` header, and the sandbox's call counters."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import bolt11
import httpx

from terminal.sandbox import Sandbox
from terminal.sandbox.server import TIP_RECIPIENT
from tests.sandbox.helpers import CREATE_FOR, WsClient, control, create_invoice, gql
from tests.support.timing import scaled

GLOBALS = "query Globals { globals { network nodesIds } }"
INVOICE_BY_HASH = """
query InvoiceByHash($walletId: WalletId!, $paymentHash: PaymentHash!) {
  me { defaultAccount { walletById(walletId: $walletId) {
    invoiceByPaymentHash(paymentHash: $paymentHash) {
      paymentHash paymentStatus ... on LnInvoice { satoshis }
    }
  } } }
}
"""
LN_UPDATES = """
subscription MyUpdates {
  myUpdates {
    errors { message code path }
    update {
      __typename
      ... on LnUpdate {
        status
        transaction {
          initiationVia { ... on InitiationViaLn { paymentHash } }
          settlementAmount settlementCurrency direction status
        }
      }
    }
  }
}
"""


async def test_globals_lists_the_key_that_signs_invoices(sandbox: Sandbox) -> None:
    data = (await gql(sandbox, GLOBALS)).json()["data"]["globals"]
    invoice = await create_invoice(sandbox, 100)
    payee = bolt11.decode(invoice["paymentRequest"]).payee
    assert data == {"network": "mainnet", "nodesIds": [payee]}


async def test_invoice_by_hash_finds_the_wallets_own_invoice(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 2100)
    variables = {"walletId": sandbox.wallet_id("blinkpos"), "paymentHash": invoice["paymentHash"]}
    answer = (await gql(sandbox, INVOICE_BY_HASH, variables, sandbox.keys["blinkpos"])).json()
    found = answer["data"]["me"]["defaultAccount"]["walletById"]["invoiceByPaymentHash"]
    assert found == {
        "paymentHash": invoice["paymentHash"],
        "paymentStatus": "PENDING",
        "satoshis": 2100,
    }


async def test_invoice_by_hash_of_another_wallet_is_an_error(sandbox: Sandbox) -> None:
    theirs = await create_invoice(sandbox, 50, key_name="customer")
    variables = {"walletId": sandbox.wallet_id("blinkpos"), "paymentHash": theirs["paymentHash"]}
    answer = (await gql(sandbox, INVOICE_BY_HASH, variables, sandbox.keys["blinkpos"])).json()
    assert answer["data"]["me"] is None
    error = answer["errors"][0]
    assert theirs["paymentHash"] in error["message"]
    assert error["code"] == "LIGHTNING_PAYMENT_ERROR"


async def test_invoice_by_hash_needs_read(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 10)
    variables = {"walletId": sandbox.wallet_id("blinkpos"), "paymentHash": invoice["paymentHash"]}
    key = sandbox.keys["blinkpos_receive_only"]
    answer = (await gql(sandbox, INVOICE_BY_HASH, variables, key)).json()
    assert "not authorized to read data" in answer["errors"][0]["message"]


async def test_tip_recipient_account_receives_on_behalf_invoices(sandbox: Sandbox) -> None:
    accounts = await control(sandbox, "accounts")
    wallet = accounts[TIP_RECIPIENT]["BTC"]
    assert wallet == sandbox.wallet_id(TIP_RECIPIENT)
    lookup = "query W($u: Username!) { accountDefaultWallet(username: $u) { id } }"
    found = (await gql(sandbox, lookup, {"u": TIP_RECIPIENT})).json()["data"]
    assert found["accountDefaultWallet"]["id"] == wallet
    made = await gql(sandbox, CREATE_FOR, {"input": {"recipientWalletId": wallet, "amount": 210}})
    invoice = made.json()["data"]["lnInvoiceCreateOnBehalfOfRecipient"]["invoice"]
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    assert sandbox.balance(TIP_RECIPIENT) == 210


async def test_ln_update_carries_the_transaction_fields(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("u", LN_UPDATES)
    invoice = await create_invoice(sandbox, 2100)
    await sandbox.pay(invoice["paymentRequest"])
    update = await client.next_update("u", "LnUpdate")
    assert update == {
        "__typename": "LnUpdate",
        "status": "PAID",
        "transaction": {
            "initiationVia": {"paymentHash": invoice["paymentHash"]},
            "settlementAmount": 2100,
            "settlementCurrency": "BTC",
            "direction": "RECEIVE",
            "status": "SUCCESS",
        },
    }
    await client.close()


async def test_answers_are_dated_by_the_sandbox_clock(sandbox: Sandbox) -> None:
    day = 86_400
    sandbox.clock.advance(10 * day)
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        ok = await client.post(sandbox.http_url, json={"query": GLOBALS})
        refused = await client.post(
            sandbox.http_url, json={"query": GLOBALS}, headers={"X-API-KEY": "blink_nope"}
        )
    assert refused.status_code == 401
    for answer in (ok, refused):
        dated = parsedate_to_datetime(answer.headers["Date"]).timestamp()
        # Ten days ahead of this machine's clock, as the sandbox's clock is.
        assert dated >= time.time() + 10 * day - 5
        assert dated <= sandbox.clock.now() + 1


async def test_stats_count_calls_per_operation_and_sockets(sandbox: Sandbox) -> None:
    await control(sandbox, "stats", {"clear": True})
    for _ in range(3):
        await gql(sandbox, GLOBALS)
    await create_invoice(sandbox, 10)
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("u", LN_UPDATES)
    await client.next_for("u")
    stats = await control(sandbox, "stats")
    assert stats["http"] == {"Globals": 3, "LnInvoiceCreate": 1}
    assert stats["httpTotal"] == 4
    assert stats["wsConnections"] == 1
    assert stats["subscriptions"] == {"MyUpdates": 1}
    cleared = await control(sandbox, "stats", {"clear": True})
    assert (cleared["httpTotal"], cleared["wsConnections"], cleared["http"]) == (0, 0, {})
    await client.close()
