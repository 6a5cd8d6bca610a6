"""graphql-ws 5.16 as Blink runs it: close codes, ``error`` for invalid documents, keep-alive."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import websockets

from terminal.sandbox import Sandbox
from terminal.sandbox.ws import parse_message
from tests.sandbox.helpers import (
    MY_UPDATES,
    PROTOCOL,
    STATUS_SUB,
    WsClient,
    close_code,
    create_invoice,
)
from tests.support.timing import scaled


async def _raw(sb: Sandbox) -> websockets.ClientConnection:
    return await websockets.connect(sb.ws_url, subprotocols=[PROTOCOL])


async def test_subscribe_pipelined_after_init_is_closed_4401() -> None:
    # Blink acks only once its key lookup is done; a subscribe that does not wait for the ack
    # arrives meanwhile and is refused (API-NOTES §7).
    async with Sandbox(auth_lookup=scaled(0.5)) as sb:
        conn = await _raw(sb)
        await conn.send(json.dumps({"type": "connection_init", "payload": {}}))
        await conn.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MY_UPDATES}})
        )
        assert await close_code(conn) == (4401, "Unauthorized")


async def test_unparsable_document_closes_4500(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.subscribe("1", "subscription { myUpdates { ")
    assert await close_code(client.conn) == (4500, "Internal server error")


async def test_invalid_document_gets_error_and_frees_its_id(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("1", "subscription { myUpdates { nonsense } }")
    answer = await client.next_for("1")
    assert answer["type"] == "error"
    assert "nonsense" in answer["payload"][0]["message"]
    # The id was dropped: reusing it is a new subscription, not 4409.
    await client.subscribe("1", MY_UPDATES)
    assert (await client.next_for("1"))["type"] == "next"
    await client.close()


async def test_duplicate_id_closes_4409(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("a", MY_UPDATES)
    await client.next_for("a")
    await client.subscribe("a", MY_UPDATES)
    assert await close_code(client.conn) == (4409, "Subscriber for a already exists")


async def test_second_init_closes_4429(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.send({"type": "connection_init", "payload": {}})
    assert await close_code(client.conn) == (4429, "Too many initialisation requests")


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        {"type": "bogus"},
        {
            "type": "subscribe",
            "payload": {"query": "subscription { myUpdates { errors { message } } }"},
        },
        {"id": "1", "type": "subscribe", "payload": {"variables": {}}},
        {"type": "complete"},
    ],
)
async def test_invalid_messages_close_4400(sandbox: Sandbox, message: object) -> None:
    client = await WsClient.open(sandbox)
    await client.conn.send(message if isinstance(message, str) else json.dumps(message))
    assert await close_code(client.conn) == (4400, "Invalid message received")


async def test_server_only_message_from_the_client_closes_4500(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.send({"id": "1", "type": "next", "payload": {"data": {}}})
    assert (await close_code(client.conn))[0] == 4500


def test_message_checks_accept_what_graphql_ws_accepts() -> None:
    for good in (
        {"type": "connection_init"},
        {"type": "ping", "payload": {"x": 1}},
        {"type": "pong"},
        {"id": "7", "type": "complete"},
        {"id": "7", "type": "subscribe", "payload": {"query": "q", "variables": None}},
    ):
        assert parse_message(json.dumps(good)) == good


async def test_status_of_unknown_hash_errors_and_never_completes(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": "1" * 64}})
    payload = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert payload["errors"][0]["message"] == "Invoice not found"
    assert await client.expect_quiet("s") == []  # no complete: Blink never ends these
    await client.close()


async def test_status_of_malformed_hash_errors_then_completes(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": "not-a-hash"}})
    first = await client.next_for("s")
    assert first["payload"]["errors"][0]["message"] == "Invalid value for PaymentHash"
    assert (await client.next_for("s"))["type"] == "complete"
    await client.close()


@pytest.fixture
async def quick_pings() -> AsyncIterator[Sandbox]:
    async with Sandbox(keepalive=scaled(0.2)) as sb:
        yield sb


async def _aiohttp_socket(
    session: aiohttp.ClientSession, sb: Sandbox
) -> aiohttp.ClientWebSocketResponse:
    # autoping off: this client answers (or not) the server's pings itself.
    ws = await session.ws_connect(sb.ws_url, protocols=("graphql-transport-ws",), autoping=False)
    await ws.send_json({"type": "connection_init", "payload": {}})
    assert (await ws.receive_json(timeout=scaled(5)))["type"] == "connection_ack"
    return ws


async def test_server_pings_and_keeps_a_ponging_socket(quick_pings: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await _aiohttp_socket(session, quick_pings)
        pings = 0
        while pings < 4:
            msg = await ws.receive(timeout=scaled(5))
            assert msg.type == aiohttp.WSMsgType.PING, msg
            pings += 1
            await ws.pong(msg.data)
        assert not ws.closed
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json(timeout=scaled(5))) == {"type": "pong"}
        await ws.close()


async def test_only_pongs_keep_a_socket_alive(quick_pings: Sandbox) -> None:
    # The client talks all the time (app-level pings) but never answers a ping frame.
    async with aiohttp.ClientSession() as session:
        ws = await _aiohttp_socket(session, quick_pings)
        pings = 0
        async with asyncio.timeout(scaled(10)):
            while True:
                await ws.send_json({"type": "ping"})
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.PING:
                    pings += 1
                elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
        assert pings >= 1
        assert ws.close_code != 1000  # terminated, no close handshake


def test_sigterm_closes_every_socket_with_1001(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "terminal", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        ws_url = next(line.split()[1] for line in proc.stdout if line.startswith("WS"))

        async def watch() -> tuple[int | None, str]:
            async with websockets.connect(ws_url, subprotocols=[PROTOCOL]) as conn:
                await conn.send(json.dumps({"type": "connection_init", "payload": {}}))
                assert json.loads(await conn.recv())["type"] == "connection_ack"
                proc.send_signal(signal.SIGTERM)
                return await close_code(conn)

        assert asyncio.run(watch()) == (1001, "Going away")
        assert proc.wait(timeout=scaled(10)) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=scaled(10))


async def test_paid_invoice_status_has_no_errors_and_stream_stays(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100)
    client = await WsClient.open(sandbox)
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}})
    await client.next_for("s")
    await sandbox.pay(invoice["paymentRequest"])
    paid = (await client.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert (paid["status"], paid["errors"]) == ("PAID", [])
    assert await client.expect_quiet("s") == []  # still no complete after PAID
    await client.close()
