"""Faults on demand: dropped sockets, lost events, 500/429/timeouts, latency, clock."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from terminal.errors import ConfigError
from terminal.sandbox import Sandbox
from terminal.sandbox.faults import Faults
from tests.sandbox.helpers import (
    MY_UPDATES,
    PAY,
    STATUS_SUB,
    WsClient,
    create_invoice,
    gql,
    pay_variables,
)
from tests.support.timing import scaled

GLOBALS = "query Globals { globals { network } }"


async def test_drop_sockets_cuts_every_socket(sandbox: Sandbox) -> None:
    clients = [await WsClient.open(sandbox) for _ in range(2)]
    assert sandbox.faults.drop_sockets() == 2
    for client in clients:
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is None  # no close frame: the network "died"
    # The server still accepts new sockets afterwards.
    again = await WsClient.open(sandbox)
    await again.close()


async def test_lost_events_are_not_replayed(sandbox: Sandbox) -> None:
    pos = await WsClient.open(sandbox, sandbox.keys["blinkpos"])
    await pos.subscribe("u", MY_UPDATES)
    await pos.next_update("u", "RealtimePrice")
    lost = await create_invoice(sandbox, 100)
    sandbox.faults.lose_events(True)
    assert sandbox.faults.events_lost
    await sandbox.pay(lost["paymentRequest"])
    sandbox.faults.lose_events(False)
    heard = await create_invoice(sandbox, 200)
    await sandbox.pay(heard["paymentRequest"])
    update = await pos.next_update("u", "LnUpdate")
    assert update["transaction"]["initiationVia"]["paymentHash"] == heard["paymentHash"]
    # A fresh status subscription still learns the truth: the current status comes at once.
    await pos.subscribe("s", STATUS_SUB, {"input": {"paymentHash": lost["paymentHash"]}})
    status = (await pos.next_for("s"))["payload"]["data"]["lnInvoicePaymentStatusByHash"]
    assert status["status"] == "PAID"
    await pos.close()


def test_lose_events_for_some_seconds_ends_by_itself() -> None:
    now = [100.0]
    faults = Faults(monotonic=lambda: now[0])
    faults.lose_events(5.0)
    assert faults.events_lost
    now[0] += 4.9
    assert faults.events_lost
    now[0] += 0.2
    assert not faults.events_lost
    faults.lose_events(True)
    now[0] += 1e6
    assert faults.events_lost
    faults.lose_events(False)
    assert not faults.events_lost


@pytest.mark.parametrize("kind", ["500", "429"])
async def test_fail_next_answers_n_requests_badly(sandbox: Sandbox, kind: str) -> None:
    sandbox.faults.retry_after = 7
    sandbox.faults.fail_next(2, kind)
    first, second, third = [await gql(sandbox, GLOBALS) for _ in range(3)]
    assert first.status_code == int(kind)
    assert second.status_code == int(kind)
    if kind == "429":
        assert first.headers["Retry-After"] == "7"
    assert third.status_code == 200
    assert third.json()["data"]["globals"]["network"] == "mainnet"


async def test_fail_next_for_one_operation_only(sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(1, "500", operation="lnInvoicePaymentSend")
    assert (await gql(sandbox, GLOBALS)).status_code == 200
    invoice = await create_invoice(sandbox, 100)
    variables = pay_variables(sandbox, invoice["paymentRequest"])
    failed = await gql(sandbox, PAY, variables, sandbox.keys["customer"])
    assert failed.status_code == 500
    assert sandbox.ledger.payments_for(invoice["paymentHash"]) == []
    ok = await gql(sandbox, PAY, variables, sandbox.keys["customer"])
    assert ok.json()["data"]["lnInvoicePaymentSend"]["status"] == "SUCCESS"


@pytest.mark.parametrize(("execute", "paid"), [(True, 1), (False, 0)])
async def test_timeout_lost_answer_vs_lost_request(
    sandbox: Sandbox, execute: bool, paid: int
) -> None:
    sandbox.faults.timeout_hold = scaled(5)
    sandbox.faults.fail_next(1, "timeout", operation="lnInvoicePaymentSend", execute=execute)
    invoice = await create_invoice(sandbox, 100)
    variables = pay_variables(sandbox, invoice["paymentRequest"])
    with pytest.raises(httpx.TimeoutException):
        await gql(sandbox, PAY, variables, sandbox.keys["customer"], limit=0.3)
    assert len(sandbox.ledger.payments_for(invoice["paymentHash"])) == paid
    # The retry is safe either way: Blink never pays an invoice twice.
    retry = await gql(sandbox, PAY, variables, sandbox.keys["customer"])
    status = retry.json()["data"]["lnInvoicePaymentSend"]["status"]
    assert status == ("ALREADY_PAID" if execute else "SUCCESS")
    assert len(sandbox.ledger.payments_for(invoice["paymentHash"])) == 1


async def test_held_request_is_dropped_after_the_hold(sandbox: Sandbox) -> None:
    sandbox.faults.timeout_hold = scaled(0.2)
    sandbox.faults.fail_next(1, "timeout")
    with pytest.raises(httpx.TransportError):
        await gql(sandbox, GLOBALS, limit=5)


async def test_latency_delays_every_answer(sandbox: Sandbox) -> None:
    sandbox.faults.latency = scaled(5)
    with pytest.raises(httpx.TimeoutException):
        await gql(sandbox, GLOBALS, limit=0.2)
    sandbox.faults.latency = 0
    assert (await gql(sandbox, GLOBALS)).status_code == 200


def test_unknown_fault_kind_is_refused() -> None:
    sb = Sandbox()
    with pytest.raises(ConfigError):
        sb.faults.fail_next(1, "418")


async def test_clock_advance_moves_sandbox_time(sandbox: Sandbox) -> None:
    before = sandbox.clock.now()
    sandbox.clock.advance(3600)
    assert sandbox.clock.now() - before >= 3600
    invoice = await create_invoice(sandbox, 100)
    assert invoice["createdAt"] >= int(before) + 3600
