"""HTTP faults of a hostile or broken Blink: tampered invoices, slow and huge answers, a payment
that lands late, and half of the network down (issue 11 and issue 13)."""

from __future__ import annotations

import asyncio
import json
import tracemalloc

import bolt11
import httpx
import pytest
import websockets

from terminal.sandbox import Sandbox
from terminal.sandbox.server import TIP_RECIPIENT
from tests.sandbox.helpers import (
    CREATE,
    CREATE_FOR,
    PAY,
    PROTOCOL,
    WsClient,
    control,
    create_invoice,
    gql,
    pay_variables,
    wait_until,
)
from tests.support.timing import scaled

GLOBALS = "query Globals { globals { network } }"
GLOBALS_ANSWER = {"data": {"globals": {"network": "mainnet"}}}


async def test_tamper_amount_signs_other_sats_than_the_json_says(sandbox: Sandbox) -> None:
    await control(sandbox, "faults", {"tamper": {"operation": "LnInvoiceCreate", "amountSats": 1}})
    queued = (await control(sandbox, "faults"))["faults"]["queued"]
    assert queued == {
        "tamper": [
            {
                "value": {"amountSats": 1, "payee": None},
                "remaining": 1,
                "operation": "LnInvoiceCreate",
            }
        ]
    }
    invoice = await create_invoice(sandbox, 2100)
    assert invoice["satoshis"] == 2100  # what the JSON claims
    assert bolt11.decode(invoice["paymentRequest"]).amount_msat == 1000  # what is really asked
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    assert sandbox.balance("blinkpos") == 1
    # Only the next answer: the one after is honest.
    honest = await create_invoice(sandbox, 2100)
    assert bolt11.decode(honest["paymentRequest"]).amount_msat == 2_100_000


async def test_tamper_on_behalf_amount(sandbox: Sandbox) -> None:
    sandbox.faults.tamper("LnInvoiceCreateOnBehalfOfRecipient", 5, None)
    data = {"recipientWalletId": sandbox.wallet_id("merchant"), "amount": 2100}
    answer = (await gql(sandbox, CREATE_FOR, {"input": data})).json()
    invoice = answer["data"]["lnInvoiceCreateOnBehalfOfRecipient"]["invoice"]
    assert invoice["satoshis"] == 2100
    assert bolt11.decode(invoice["paymentRequest"]).amount_msat == 5000


async def test_tamper_payee_makes_the_invoice_for_another_account(sandbox: Sandbox) -> None:
    body = {"operation": "LnInvoiceCreateOnBehalfOfRecipient", "payee": TIP_RECIPIENT}
    await control(sandbox, "faults", {"tamper": body})
    data = {"recipientWalletId": sandbox.wallet_id("merchant"), "amount": 2100}
    answer = (await gql(sandbox, CREATE_FOR, {"input": data})).json()
    invoice = answer["data"]["lnInvoiceCreateOnBehalfOfRecipient"]["invoice"]
    assert invoice["satoshis"] == 2100
    assert bolt11.decode(invoice["paymentRequest"]).amount_msat == 2_100_000
    assert await sandbox.pay(invoice["paymentRequest"]) == "SUCCESS"
    assert sandbox.balance(TIP_RECIPIENT) == 2100
    assert sandbox.balance("merchant") == 0


@pytest.mark.parametrize(
    "tamper",
    [
        {"operation": "lnInvoicePaymentSend", "amountSats": 1},
        {"operation": "LnInvoiceCreate"},
        {"operation": "LnInvoiceCreate", "amountSats": 1, "payee": "merchant"},
        {"operation": "LnInvoiceCreate", "payee": "nobody"},
    ],
)
async def test_bad_tamper_requests_are_refused(sandbox: Sandbox, tamper: dict[str, object]) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        answer = await client.post(f"{sandbox.control_url}/faults", json={"tamper": tamper})
    assert answer.status_code == 400
    assert "error" in answer.json()


async def test_trickle_dribbles_a_valid_answer(sandbox: Sandbox) -> None:
    await control(sandbox, "faults", {"trickle": {"n": 1, "bytesPerSecond": 200}})
    chunks: list[bytes] = []
    async with (
        httpx.AsyncClient(timeout=scaled(10)) as client,
        client.stream("POST", sandbox.http_url, json={"query": GLOBALS}) as answer,
    ):
        async for chunk in answer.aiter_raw():
            chunks.append(chunk)
    assert len(chunks) >= 3  # it came in pieces, 20 bytes a tick
    assert json.loads(b"".join(chunks)) == GLOBALS_ANSWER
    assert len(b"".join(chunks)) == int(answer.headers["Content-Length"])
    # Only the next answer was slow: this one comes whole.
    assert (await gql(sandbox, GLOBALS)).json() == GLOBALS_ANSWER


async def test_huge_answer_is_valid_json_of_that_size_and_streamed(sandbox: Sandbox) -> None:
    size = 8 * 1024 * 1024
    await control(sandbox, "faults", {"hugeAnswer": {"n": 1, "bytes": size}})
    received = 0
    head = b""
    tail = b""
    tracemalloc.start()
    try:
        async with (
            httpx.AsyncClient(timeout=scaled(30)) as client,
            client.stream("POST", sandbox.http_url, json={"query": GLOBALS}) as answer,
        ):
            async for chunk in answer.aiter_raw():
                if not head:
                    head = chunk[:200]
                received += len(chunk)
                tail = (tail + chunk)[-200:]
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size == int(answer.headers["Content-Length"])
    assert head.startswith(b'{"data": {"globals": {"network": "mainnet"}}, "extensions": {"padding')
    assert tail.endswith(b'xxx"}}')
    # Neither side held the answer whole: both stream it (the client here never joins it).
    assert peak < size // 4


async def test_huge_answer_parses_to_the_real_answer(sandbox: Sandbox) -> None:
    sandbox.faults.huge_answer(2, 100_000)
    for _ in range(2):
        answer = await gql(sandbox, GLOBALS)
        assert len(answer.content) == 100_000
        parsed = answer.json()
        assert parsed["data"] == GLOBALS_ANSWER["data"]
        assert set(parsed["extensions"]["padding"]) == {"x"}
    assert len((await gql(sandbox, GLOBALS)).content) < 1000


async def test_held_payment_gets_no_answer_and_lands_later(sandbox: Sandbox) -> None:
    sandbox.faults.timeout_hold = scaled(5)
    await control(sandbox, "faults", {"holdPayment": {"seconds": scaled(0.5)}})
    invoice = await create_invoice(sandbox, 100, expiresIn=1)
    variables = pay_variables(sandbox, invoice["paymentRequest"])
    with pytest.raises(httpx.TimeoutException):
        await gql(sandbox, PAY, variables, sandbox.keys["customer"], limit=0.2)
    assert sandbox.ledger.payments_for(invoice["paymentHash"]) == []
    # The invoice expires meanwhile; the late Blink-to-Blink payment settles it anyway.
    sandbox.clock.advance(120)
    await wait_until(lambda: sandbox.ledger.payments_for(invoice["paymentHash"]))
    assert [r.outcome for r in sandbox.ledger.pay_requests] == ["SUCCESS"]
    status = sandbox.ledger.status(sandbox.ledger.invoices[invoice["paymentHash"]])
    assert status == "PAID"


async def test_hold_applies_to_payments_only(sandbox: Sandbox) -> None:
    sandbox.faults.hold_payment(scaled(30))
    assert (await gql(sandbox, GLOBALS)).json() == GLOBALS_ANSWER
    invoice = await create_invoice(sandbox, 10)  # an invoice creation is not held either
    assert invoice["satoshis"] == 10


async def test_http_down_while_the_socket_stays_up(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    answer = await control(sandbox, "faults", {"network": {"http": "down"}})
    assert answer["faults"]["network"] == {"http": "down", "ws": "up"}
    with pytest.raises(httpx.TransportError):
        await gql(sandbox, GLOBALS)
    await client.send({"type": "ping"})
    assert await client.recv() == {"type": "pong"}
    other = await WsClient.open(sandbox)  # new sockets still open
    await other.close()
    await control(sandbox, "faults", {"network": {"http": "up"}})
    assert (await gql(sandbox, GLOBALS)).json() == GLOBALS_ANSWER
    await client.close()


async def test_http_down_cuts_a_request_in_progress(sandbox: Sandbox) -> None:
    sandbox.faults.latency = scaled(30)

    async def cut_when_waiting() -> None:
        await wait_until(lambda: sandbox.http.in_progress >= 1)
        sandbox.faults.set_network(http=False)

    async with httpx.AsyncClient(timeout=scaled(20)) as client:
        cutter = asyncio.create_task(cut_when_waiting())
        with pytest.raises(httpx.TransportError):
            await client.post(sandbox.http_url, json={"query": GLOBALS})
        await cutter


async def test_ws_down_while_http_stays_up(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    answer = await control(sandbox, "faults", {"network": {"ws": "down"}})
    assert answer["cut"] == 1
    with pytest.raises(websockets.ConnectionClosed):
        await client.recv()
    with pytest.raises((OSError, websockets.InvalidHandshake, websockets.ConnectionClosed)):
        async with websockets.connect(
            sandbox.ws_url, subprotocols=[PROTOCOL], open_timeout=scaled(5)
        ) as conn:
            await conn.recv()
    assert (await gql(sandbox, GLOBALS)).json() == GLOBALS_ANSWER
    await control(sandbox, "faults", {"network": {"ws": "up"}})
    again = await WsClient.open(sandbox)
    await again.close()


async def test_bad_network_request_is_refused(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        body = {"network": {"http": "sideways"}}
        answer = await client.post(f"{sandbox.control_url}/faults", json=body)
    assert answer.status_code == 400


async def test_clear_brings_everything_back(sandbox: Sandbox) -> None:
    body = {
        "network": {"http": "down", "ws": "down"},
        "blackout": True,
        "stalePrices": True,
        "dropEvents": {"subscription": "status"},
        "trickle": {"n": 5, "bytesPerSecond": 1},
    }
    await control(sandbox, "faults", body)
    cleared = (await control(sandbox, "faults", {"clear": True}))["faults"]
    assert cleared["network"] == {"http": "up", "ws": "up"}
    assert (cleared["blackout"], cleared["stalePrices"], cleared["queued"]) == (False, False, {})
    assert cleared["dropEvents"] == {"paymentHashes": [], "subscriptions": []}
    assert (await gql(sandbox, GLOBALS)).json() == GLOBALS_ANSWER


async def test_tamper_names_the_operation_or_its_root_field(sandbox: Sandbox) -> None:
    # "lnInvoiceCreate" (the root field) names the same request as "LnInvoiceCreate".
    sandbox.faults.tamper("lnInvoiceCreate", 3, None)
    data = {"walletId": sandbox.wallet_id("blinkpos"), "amount": 30}
    answer = (await gql(sandbox, CREATE, {"input": data}, sandbox.keys["blinkpos"])).json()
    invoice = answer["data"]["lnInvoiceCreate"]["invoice"]
    assert invoice["satoshis"] == 30
    assert bolt11.decode(invoice["paymentRequest"]).amount_msat == 3000
