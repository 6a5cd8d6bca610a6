"""The sandbox's HTTP GraphQL: auth, scopes, each operation, input rules (API-NOTES §1, §3, §4)."""

from __future__ import annotations

import hashlib

import bolt11
import pytest

from terminal.sandbox import Sandbox
from terminal.sandbox.server import KEY_NAMES
from tests.sandbox.helpers import CREATE, CREATE_FOR, create_invoice, gql

ME = """
query Me {
  me {
    id username
    defaultAccount {
      id displayCurrency
      defaultWallet { id currency }
      wallets { id walletCurrency balance pendingIncomingBalance }
    }
  }
}
"""
SCOPES = "query Scopes { authorization { scopes } }"
STATUS = """
query St($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) { status paymentHash paymentRequest paymentPreimage }
}
"""
STATUS_BY_REQUEST = """
query St($input: LnInvoicePaymentStatusByPaymentRequestInput!) {
  lnInvoicePaymentStatusByPaymentRequest(input: $input) { status paymentHash }
}
"""


async def test_unknown_key_gets_401_before_graphql(sandbox: Sandbox) -> None:
    answer = await gql(sandbox, ME, key="blink_" + "x" * 48)
    assert answer.status_code == 401
    assert "data" not in answer.json()


async def test_me_shows_the_key_owners_wallets(sandbox: Sandbox) -> None:
    answer = (await gql(sandbox, ME, key=sandbox.keys["customer"])).json()
    me = answer["data"]["me"]
    assert me["username"] == "customer"
    account = me["defaultAccount"]
    assert account["defaultWallet"] == {"id": sandbox.wallet_id("customer"), "currency": "BTC"}
    btc = next(w for w in account["wallets"] if w["walletCurrency"] == "BTC")
    assert btc["balance"] == sandbox.balance("customer") > 0


async def test_me_without_key_is_a_top_level_error(sandbox: Sandbox) -> None:
    answer = (await gql(sandbox, ME)).json()
    assert answer["data"]["me"] is None
    assert answer["errors"][0]["code"] == "NOT_AUTHENTICATED"


@pytest.mark.parametrize("query", [ME, SCOPES])
async def test_read_denial_is_top_level(sandbox: Sandbox, query: str) -> None:
    answer = (await gql(sandbox, query, key=sandbox.keys["blinkpos_receive_only"])).json()
    assert answer["data"] is None or all(v is None for v in answer["data"].values())
    error = answer["errors"][0]
    assert "not authorized to read data" in error["message"]
    assert error["code"] == error["extensions"]["code"] == "NOT_AUTHORIZED"


@pytest.mark.parametrize(
    ("name", "scopes"),
    [
        ("blinkpos", ["READ", "RECEIVE", "WRITE"]),
        ("merchant", ["READ"]),
        ("customer", ["READ", "WRITE"]),
        ("blinkpos_read_only", ["READ"]),
    ],
)
async def test_authorization_lists_scopes(sandbox: Sandbox, name: str, scopes: list[str]) -> None:
    answer = (await gql(sandbox, SCOPES, key=sandbox.keys[name])).json()
    assert sorted(answer["data"]["authorization"]["scopes"]) == scopes


async def test_keys_look_like_blink_keys_and_differ(sandbox: Sandbox) -> None:
    values = list(sandbox.keys.values())
    assert len(set(values)) == len(values) == len(KEY_NAMES)
    for value in values:
        assert value.startswith("blink_")
        assert len(value) >= 40


async def test_public_queries_need_no_key(sandbox: Sandbox) -> None:
    query = """
    query P($u: Username!) {
      accountDefaultWallet(username: $u, walletCurrency: BTC) { id currency }
      realtimePrice(currency: "EUR") { timestamp denominatorCurrency btcSatPrice { base offset } }
      globals { network nodesIds lightningAddressDomain }
    }
    """
    answer = (await gql(sandbox, query, {"u": "merchant"})).json()
    data = answer["data"]
    assert data["accountDefaultWallet"] == {"id": sandbox.wallet_id("merchant"), "currency": "BTC"}
    assert data["realtimePrice"]["denominatorCurrency"] == "EUR"
    assert isinstance(data["realtimePrice"]["timestamp"], int)
    assert data["globals"]["network"] == "mainnet"
    assert len(data["globals"]["nodesIds"]) == 1


async def test_unknown_username_is_an_error(sandbox: Sandbox) -> None:
    query = "query P($u: Username!) { accountDefaultWallet(username: $u) { id } }"
    answer = (await gql(sandbox, query, {"u": "nobody"})).json()
    assert answer["data"] is None
    assert "nobody" in answer["errors"][0]["message"]


async def test_create_invoice_makes_a_real_bolt11(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 2100, "Table 4", externalId="pos1-order-0042")
    assert invoice["satoshis"] == 2100
    assert invoice["paymentStatus"] == "PENDING"
    assert invoice["externalId"] == "pos1-order-0042"
    decoded = bolt11.decode(invoice["paymentRequest"])
    assert decoded.payment_hash == invoice["paymentHash"]
    assert decoded.amount_msat == 2_100_000
    assert decoded.description == "Table 4"
    assert decoded.payment_secret == invoice["paymentSecret"]
    assert decoded.expiry == 4 * 3600  # default when expiresIn is absent


@pytest.mark.parametrize(
    ("minutes", "expected_s"), [(15, 900), (1, 60), (1440, 86400), (0, 14400), (1441, 14400)]
)
async def test_expires_in_out_of_range_silently_defaults(
    sandbox: Sandbox, minutes: int, expected_s: int
) -> None:
    invoice = await create_invoice(sandbox, 100, "x", expiresIn=minutes)
    assert bolt11.decode(invoice["paymentRequest"]).expiry == expected_s


@pytest.mark.parametrize("bad", ["Upper", "has space", "", "x" * 101, "é"])
async def test_external_id_must_be_lowercase_id(sandbox: Sandbox, bad: str) -> None:
    data = {"walletId": sandbox.wallet_id("blinkpos"), "amount": 10, "externalId": bad}
    answer = (await gql(sandbox, CREATE, {"input": data}, sandbox.keys["blinkpos"])).json()
    payload = answer["data"]["lnInvoiceCreate"]
    assert payload["invoice"] is None
    assert payload["errors"][0]["message"]


async def test_external_id_is_unique_per_account(sandbox: Sandbox) -> None:
    await create_invoice(sandbox, 10, externalId="sale-1")
    data = {"walletId": sandbox.wallet_id("blinkpos"), "amount": 10, "externalId": "sale-1"}
    answer = (await gql(sandbox, CREATE, {"input": data}, sandbox.keys["blinkpos"])).json()
    error = answer["data"]["lnInvoiceCreate"]["errors"][0]
    assert error["message"] == "External id for invoice or transaction already exists"
    assert error["code"] == "INVALID_INPUT"
    # Another account may use the same id.
    other = {
        "recipientWalletId": sandbox.wallet_id("merchant"),
        "amount": 10,
        "externalId": "sale-1",
    }
    made = (await gql(sandbox, CREATE_FOR, {"input": other})).json()
    assert made["data"]["lnInvoiceCreateOnBehalfOfRecipient"]["errors"] == []


async def test_mutation_scope_denial_is_inside_the_payload(sandbox: Sandbox) -> None:
    data = {"walletId": sandbox.wallet_id("blinkpos"), "amount": 10}
    answer = await gql(sandbox, CREATE, {"input": data}, sandbox.keys["blinkpos_read_only"])
    assert answer.status_code == 200
    body = answer.json()
    assert "errors" not in body
    payload = body["data"]["lnInvoiceCreate"]
    assert payload["invoice"] is None
    assert "not authorized to execute mutations" in payload["errors"][0]["message"]


async def test_receive_key_can_create_invoices(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 10, key_name="blinkpos_receive_only")
    assert invoice["satoshis"] == 10


async def test_another_accounts_wallet_is_refused_in_the_payload(sandbox: Sandbox) -> None:
    data = {"walletId": sandbox.wallet_id("merchant"), "amount": 10}
    answer = (await gql(sandbox, CREATE, {"input": data}, sandbox.keys["blinkpos"])).json()
    payload = answer["data"]["lnInvoiceCreate"]
    assert payload["invoice"] is None
    assert "InvalidWalletForAccountError" in payload["errors"][0]["message"]


async def test_on_behalf_needs_no_key(sandbox: Sandbox) -> None:
    data = {"recipientWalletId": sandbox.wallet_id("merchant"), "amount": 2100, "memo": "fwd"}
    answer = (await gql(sandbox, CREATE_FOR, {"input": data})).json()
    invoice = answer["data"]["lnInvoiceCreateOnBehalfOfRecipient"]["invoice"]
    assert invoice["satoshis"] == 2100
    assert sandbox.ledger.invoices[invoice["paymentHash"]].wallet_id == sandbox.wallet_id(
        "merchant"
    )


async def test_status_queries_need_no_key(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox)
    by_hash = (
        await gql(sandbox, STATUS, {"input": {"paymentHash": invoice["paymentHash"]}})
    ).json()
    status = by_hash["data"]["lnInvoicePaymentStatusByHash"]
    assert status["status"] == "PENDING"
    assert status["paymentPreimage"] is None
    request = {"input": {"paymentRequest": invoice["paymentRequest"]}}
    by_request = (await gql(sandbox, STATUS_BY_REQUEST, request)).json()
    assert by_request["data"]["lnInvoicePaymentStatusByPaymentRequest"]["status"] == "PENDING"
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    paid = (await gql(sandbox, STATUS, {"input": {"paymentHash": invoice["paymentHash"]}})).json()
    status = paid["data"]["lnInvoicePaymentStatusByHash"]
    assert status["status"] == "PAID"
    assert (
        hashlib.sha256(bytes.fromhex(status["paymentPreimage"])).hexdigest()
        == invoice["paymentHash"]
    )


async def test_status_of_unknown_hash_is_a_top_level_error(sandbox: Sandbox) -> None:
    answer = (await gql(sandbox, STATUS, {"input": {"paymentHash": "0" * 64}})).json()
    assert answer["data"] is None
    assert answer["errors"]


async def test_status_expires_with_the_clock(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, expiresIn=1)
    sandbox.clock.advance(61)
    answer = (await gql(sandbox, STATUS, {"input": {"paymentHash": invoice["paymentHash"]}})).json()
    assert answer["data"]["lnInvoicePaymentStatusByHash"]["status"] == "EXPIRED"


async def test_wallet_by_id_finds_invoice_and_transactions(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 2100)
    await sandbox.pay(invoice["paymentRequest"])
    query = """
    query Q($w: WalletId!, $h: PaymentHash!) {
      me { defaultAccount { walletById(walletId: $w) {
        invoiceByPaymentHash(paymentHash: $h) {
          paymentHash paymentStatus externalId ... on LnInvoice { satoshis }
        }
        transactionsByPaymentHash(paymentHash: $h) { direction settlementAmount status }
      } } }
    }
    """
    variables = {"w": sandbox.wallet_id("blinkpos"), "h": invoice["paymentHash"]}
    answer = (await gql(sandbox, query, variables, sandbox.keys["blinkpos_read_only"])).json()
    wallet = answer["data"]["me"]["defaultAccount"]["walletById"]
    assert wallet["invoiceByPaymentHash"]["paymentStatus"] == "PAID"
    assert wallet["transactionsByPaymentHash"] == [
        {"direction": "RECEIVE", "settlementAmount": 2100, "status": "SUCCESS"}
    ]


async def test_invalid_documents_are_graphql_errors(sandbox: Sandbox) -> None:
    answer = (await gql(sandbox, "query { nonsense }")).json()
    assert "nonsense" in answer["errors"][0]["message"]
