"""Faults on the socket that leave it looking healthy: dropped events, blackouts, failed
subscribes. Issue 10: detection must not depend on every event arriving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from terminal.errors import ConfigError
from terminal.sandbox import Sandbox
from terminal.sandbox.faults import Faults
from tests.sandbox.helpers import (
    MY_UPDATES,
    STATUS_SUB,
    WsClient,
    close_code,
    control,
    create_invoice,
)
from tests.support.timing import scaled


@pytest.fixture
async def ticking() -> AsyncIterator[Sandbox]:
    async with Sandbox(price_interval=scaled(0.1)) as sb:
        yield sb


async def _watch(sb: Sandbox, *invoices: dict[str, Any]) -> WsClient:
    """A BlinkPOS socket with myUpdates ("u") and a status subscription per invoice ("s0"...)."""
    client = await WsClient.open(sb, sb.keys["blinkpos"])
    await client.subscribe("u", MY_UPDATES)
    await client.next_update("u", "RealtimePrice")
    for n, invoice in enumerate(invoices):
        await client.subscribe(
            f"s{n}", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}}
        )
        first = await client.next_for(f"s{n}")
        assert first["payload"]["data"]["lnInvoicePaymentStatusByHash"]["status"] == "PENDING"
    return client


async def _until_heard(client: WsClient, heard_hash: str) -> list[dict[str, Any]]:
    """Every message until both events of ``heard_hash`` (its LnUpdate and its PAID) arrived."""
    seen: list[dict[str, Any]] = []
    update = status = False
    while not (update and status):
        message = await client.recv()
        seen.append(message)
        payload = message.get("payload", {}).get("data") or {}
        ln = (payload.get("myUpdates") or {}).get("update") or {}
        if ln.get("__typename") == "LnUpdate":
            update |= ln["transaction"]["initiationVia"]["paymentHash"] == heard_hash
        st = payload.get("lnInvoicePaymentStatusByHash") or {}
        status |= st.get("paymentHash") == heard_hash and st.get("status") == "PAID"
    return seen


def _about(messages: list[dict[str, Any]], payment_hash: str) -> list[dict[str, Any]]:
    return [m for m in messages if payment_hash in str(m)]


async def test_drop_events_of_one_payment_hash(ticking: Sandbox) -> None:
    lost, heard = await create_invoice(ticking, 100), await create_invoice(ticking, 200)
    client = await _watch(ticking, lost, heard)
    await control(ticking, "faults", {"dropEvents": {"paymentHash": lost["paymentHash"]}})
    await ticking.pay(lost["paymentRequest"])
    await ticking.pay(heard["paymentRequest"])
    seen = await _until_heard(client, heard["paymentHash"])
    assert _about(seen, lost["paymentHash"]) == []
    # Price ticks and the socket stayed up, and asking again tells the truth.
    await client.next_update("u", "RealtimePrice")
    await client.subscribe("again", STATUS_SUB, {"input": {"paymentHash": lost["paymentHash"]}})
    again = (await client.next_for("again"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert again["status"] == "PAID"
    await client.close()


@pytest.mark.parametrize(("kind", "lost_key"), [("myUpdates", "u"), ("status", "s0")])
async def test_drop_events_of_one_subscription_kind(
    sandbox: Sandbox, kind: str, lost_key: str
) -> None:
    first, second = await create_invoice(sandbox, 100), await create_invoice(sandbox, 200)
    client = await _watch(sandbox, first)
    await control(sandbox, "faults", {"dropEvents": {"subscription": kind}})
    await sandbox.pay(first["paymentRequest"])
    # The other kind still hears the payment.
    if kind == "status":
        await client.next_update("u", "LnUpdate")
    else:
        paid = (await client.next_for("s0"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
        assert paid["status"] == "PAID"
    assert await client.expect_quiet(lost_key) == []
    # Cleared: events flow again (what was dropped stays lost).
    await control(sandbox, "faults", {"dropEvents": {"clear": True}})
    await client.subscribe("s1", STATUS_SUB, {"input": {"paymentHash": second["paymentHash"]}})
    await client.next_for("s1")
    await sandbox.pay(second["paymentRequest"])
    update = await client.next_update("u", "LnUpdate")
    assert update["transaction"]["initiationVia"]["paymentHash"] == second["paymentHash"]
    await client.close()


async def test_dropped_status_also_loses_expired(sandbox: Sandbox) -> None:
    invoice = await create_invoice(sandbox, 100, expiresIn=1)
    client = await _watch(sandbox, invoice)
    sandbox.faults.drop_events(subscription="status")
    sandbox.clock.advance(120)  # wakes the expiry timer at once
    assert await client.expect_quiet("s0") == []
    await client.close()


def test_drop_events_refuses_an_unknown_kind() -> None:
    with pytest.raises(ConfigError):
        Faults().drop_events(subscription="everything")


async def test_blackout_stops_every_next_but_not_pings(ticking: Sandbox) -> None:
    lost, heard = await create_invoice(ticking, 100), await create_invoice(ticking, 200)
    client = await _watch(ticking, lost, heard)
    await control(ticking, "faults", {"blackout": True})
    await client.expect_quiet("u")  # drain what was sent before the blackout began
    await ticking.pay(lost["paymentRequest"])
    rounds = ticking.stats.price_ticks
    async with asyncio.timeout(scaled(10)):
        while ticking.stats.price_ticks < rounds + 2:  # ticks were published, and lost
            assert await client.expect_quiet("u") == []
    assert await client.expect_quiet("s0") == []  # the app-level ping was answered throughout
    await control(ticking, "faults", {"blackout": False})
    await ticking.pay(heard["paymentRequest"])
    seen = await _until_heard(client, heard["paymentHash"])
    assert _about(seen, lost["paymentHash"]) == []  # lost, not delayed
    await client.close()


def test_blackout_for_some_seconds_ends_by_itself() -> None:
    now = [50.0]
    faults = Faults(monotonic=lambda: now[0])
    faults.blackout(2.0)
    assert faults.blacked_out
    now[0] += 2.1
    assert not faults.blacked_out


@pytest.mark.parametrize("how", ["error", "complete", "close4500"])
async def test_fail_subscription(sandbox: Sandbox, how: str) -> None:
    await control(sandbox, "faults", {"failSubscription": {"operation": "myUpdates", "with": how}})
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("u", MY_UPDATES)
    if how == "close4500":
        assert await close_code(client.conn) == (4500, "Internal server error")
        return
    answer = await client.next_for("u")
    assert answer["type"] == how
    if how == "error":
        assert answer["payload"][0]["message"]
    # Only the next subscribe failed: the same id works now.
    await client.subscribe("u", MY_UPDATES)
    assert (await client.next_for("u"))["type"] == "next"
    await client.close()


async def test_fail_subscription_matches_its_operation_only(sandbox: Sandbox) -> None:
    sandbox.faults.fail_subscription("myUpdates", "error")
    invoice = await create_invoice(sandbox, 100)
    client = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await client.subscribe("s", STATUS_SUB, {"input": {"paymentHash": invoice["paymentHash"]}})
    assert (await client.next_for("s"))["type"] == "next"
    await client.subscribe("u", MY_UPDATES)
    assert (await client.next_for("u"))["type"] == "error"
    await client.close()


async def test_drop_sockets_still_works_with_new_sessions(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    assert sandbox.faults.drop_sockets() == 1
    with pytest.raises(ConnectionClosed):
        await client.recv()
