"""The sandbox's graphql-transport-ws socket, as API-NOTES §2, §4.7 and §4.8 describe Blink's."""

from __future__ import annotations

import json

import websockets

from terminal.sandbox import Sandbox
from tests.sandbox.helpers import (
    MY_UPDATES,
    PROTOCOL,
    STATUS_SUB,
    WsClient,
    close_code,
    create_invoice,
)
from tests.support.timing import scaled


async def test_wrong_subprotocol_is_closed_4406(sandbox: Sandbox) -> None:
    for offered in ([], [websockets.Subprotocol("graphql-ws")]):
        async with websockets.connect(sandbox.ws_url, subprotocols=offered or None) as conn:
            assert (await close_code(conn))[0] == 4406


async def test_no_connection_init_is_closed_4408() -> None:
    async with (
        Sandbox(init_timeout=scaled(0.3)) as sb,
        websockets.connect(sb.ws_url, subprotocols=[PROTOCOL]) as conn,
    ):
        assert (await close_code(conn))[0] == 4408


async def test_subscribe_before_ack_is_closed_4401(sandbox: Sandbox) -> None:
    async with websockets.connect(sandbox.ws_url, subprotocols=[PROTOCOL]) as conn:
        await conn.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MY_UPDATES}})
        )
        assert (await close_code(conn))[0] == 4401


async def test_bad_key_is_acked_then_my_updates_errors_and_completes(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, key="blink_" + "y" * 48)
    await client.subscribe("1", MY_UPDATES)
    first = await client.next_for("1")
    assert first["type"] == "next"
    assert first["payload"]["errors"][0]["message"] == "Not Authenticated for subscription"
    assert (await client.next_for("1"))["type"] == "complete"
    await client.close()


async def test_ping_is_answered_with_pong(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.send({"type": "ping"})
    assert await client.recv() == {"type": "pong"}
    await client.close()


async def test_only_subscriptions_on_the_socket(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("q", "query { globals { network } }")
    answer = await client.next_for("q")
    assert answer["type"] == "error"
    assert answer["payload"][0]["message"] == "Only subscription operations are supported"
    await client.close()


async def test_status_subscription_emits_current_then_paid(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 2100)
    client = await WsClient.open(sandbox)  # public: no key needed
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}})
    first = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert first["status"] == "PENDING"
    assert first["errors"] == []
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    paid = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert paid["status"] == "PAID"
    assert paid["paymentPreimage"] == sandbox.ledger.invoices[invoice["paymentHash"]].preimage
    # Re-subscribing (after a reconnect) re-emits the current status at once.
    await client.subscribe("t", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}})
    again = (await client.next_for("t"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert again["status"] == "PAID"
    await client.close()


async def test_status_subscription_emits_expired_after_clock_advance(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100, expiresIn=1)
    client = await WsClient.open(sandbox)
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}})
    assert (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"][
        "status"
    ] == "PENDING"
    sandbox.clock.advance(62)
    expired = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert expired["status"] == "EXPIRED"
    await client.close()


async def test_status_of_unknown_hash_is_a_payload_error(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": "1" * 64}})
    payload = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert payload["errors"]
    assert payload["status"] is None
    await client.close()


async def test_my_updates_starts_with_a_price(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("u", MY_UPDATES)
    price = await client.next_update("u", "RealtimePrice")
    assert isinstance(price["timestamp"], int)
    assert price["btcSatPrice"]["base"] > 0
    await client.close()


async def test_prices_tick_every_interval() -> None:
    async with Sandbox(price_interval=scaled(0.2)) as sb:
        client = await WsClient.open(sb, sb.keys["merchant"])
        await client.subscribe("u", MY_UPDATES)
        for _ in range(3):
            await client.next_update("u", "RealtimePrice")
        await client.close()


async def test_ln_update_goes_to_the_receiver_only(sandbox: Sandbox) -> None:
    pos = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    payer = await WsClient.open(sandbox, sandbox.keys["customer"])
    for client in (pos, payer):
        await client.subscribe("u", MY_UPDATES)
        await client.next_update("u", "RealtimePrice")
    invoice = await create_invoice(sandbox, 2100, "Table 4", externalId="sale-0042")
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    update = await pos.next_update("u", "LnUpdate")
    assert update["status"] == "PAID"
    tx = update["transaction"]
    assert tx["direction"] == "RECEIVE"
    assert tx["settlementAmount"] == 2100
    assert tx["externalId"] == "sale-0042"
    assert tx["memo"] == "Table 4"
    assert tx["initiationVia"] == {
        "__typename": "InitiationViaLn",
        "paymentHash": invoice["paymentHash"],
    }
    assert tx["settlementVia"]["__typename"] == "SettlementViaIntraLedger"
    assert isinstance(tx["createdAt"], int)
    # The payer heard nothing: the next LnUpdate on its socket is for a payment it *received*.
    back = await create_invoice(sandbox, 1000, key_name="customer")
    assert await sandbox.pay(back["paymentRequest"], payer="blinkpos") == "SUCCESS"
    received = await payer.next_update("u", "LnUpdate")
    assert received["transaction"]["initiationVia"]["paymentHash"] == back["paymentHash"]
    await pos.close()
    await payer.close()


async def test_small_receipts_hide_the_memo(sandbox: Sandbox) -> None:
    pos = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await pos.subscribe("u", MY_UPDATES)
    invoice = await create_invoice(sandbox, 49, "tiny")
    await sandbox.pay(invoice["paymentRequest"])
    update = await pos.next_update("u", "LnUpdate")
    assert update["transaction"]["memo"] is None
    await pos.close()


async def test_complete_stops_a_subscription(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    client = await WsClient.open(sandbox)
    variables = {"input": {"paymentHash": invoice["paymentHash"]}}
    await client.subscribe("a", STATUS_SUB, variables)
    await client.next_for("a")
    await client.send({"id": "a", "type": "complete"})
    await client.subscribe("b", STATUS_SUB, variables)
    await client.next_for("b")
    await sandbox.pay(invoice["paymentRequest"])
    # Only "b" is still listening, so the PAID event arrives for "b" and never for "a".
    message = await client.recv()
    assert message["id"] == "b"
    await client.close()


async def test_status_by_payment_request_subscription(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    query = """
    subscription S($input: LnInvoicePaymentStatusByPaymentRequestInput!) {
      lnInvoicePaymentStatusByPaymentRequest(input: $input) { errors { message } status }
    }
    """
    client = await WsClient.open(sandbox)
    await client.subscribe("r", query, {"input": {"paymentRequest": invoice["paymentRequest"]}})
    first = await client.next_for("r")
    assert first["payload"]["data"]["lnInvoicePaymentStatusByPaymentRequest"]["status"] == "PENDING"
    await sandbox.pay(invoice["paymentRequest"])
    paid = await client.next_for("r")
    assert paid["payload"]["data"]["lnInvoicePaymentStatusByPaymentRequest"]["status"] == "PAID"
    await client.close()


async def test_realtime_price_subscription() -> None:
    query = """
    subscription P($input: RealtimePriceInput!) {
      realtimePrice(input: $input) { errors { message } realtimePrice { denominatorCurrency } }
    }
    """
    async with Sandbox(price_interval=scaled(0.2)) as sb:
        client = await WsClient.open(sb)
        await client.subscribe("p", query, {"input": {"currency": "EUR"}})
        for _ in range(2):
            message = await client.next_for("p")
            price = message["payload"]["data"]["realtimePrice"]["realtimePrice"]
            assert price["denominatorCurrency"] == "EUR"
        await client.close()


def test_keys_never_show_in_a_repr() -> None:
    sb = Sandbox()
    for key in sb.ledger.keys.values():
        assert key.value not in repr(key)
