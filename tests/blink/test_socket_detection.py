"""Detection that a live-looking socket cannot fool: liveness, refusals, close codes, sizes."""

from __future__ import annotations

import asyncio
import logging

import pytest

from terminal.blink import ConnectionBudget, documents
from terminal.links import LinkState
from tests.blink.fake_ws import GOOD_KEY, FakeBlinkWs, running
from tests.blink.socket_helpers import Links, make_socket, next_payload, pos_socket, running_socket
from tests.support.timing import scaled

STATUS_VARIABLES = {"input": {"paymentHash": "ab" * 32}}
UP = LinkState.UP


# ---- liveness counts only Blink's own frames ---------------------------------------------


async def test_a_socket_that_answers_pings_but_delivers_nothing_is_reconnected() -> None:
    async with (
        running(FakeBlinkWs()) as server,  # one price tick, then nothing but pongs
        pos_socket(server, liveness_timeout=scaled(0.6)) as pos,
    ):
        await next_payload(pos.updates)
        await pos.links.wait_for(lambda: pos.links.count(UP) >= 2)
        assert 1 in server.pings, "the first connection answered our pings all along"
        assert any("no news from Blink" in r for r in pos.downs())
        assert not pos.updates.closed, "re-subscribed on the new connection"
        assert sum(1 for c, _, _ in server.subscribes if c == 2) == 1


async def test_steady_price_ticks_keep_the_socket_up() -> None:
    bound = scaled(1.0)
    async with running(FakeBlinkWs()) as server:
        server.tick_every = bound / 5
        async with pos_socket(server, liveness_timeout=bound) as pos:
            for _ in range(12):  # at least two whole bounds of ticks
                await next_payload(pos.updates)
            assert server.connections == 1
            assert pos.downs() == []


async def test_without_an_essential_subscription_pongs_prove_the_link() -> None:
    # Nothing periodic is owed to a socket that carries only status subscriptions, so there the
    # pong is all the proof there can be.
    links = Links()
    async with running(FakeBlinkWs()) as server:
        socket = make_socket(server, GOOD_KEY, links, liveness_timeout=scaled(0.6))
        status = socket.subscribe(documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, STATUS_VARIABLES)
        async with running_socket(socket):
            await next_payload(status)
            await server.wait_for(lambda: server.pings.count(1) >= 9)  # three bounds and more
            assert server.connections == 1
            assert links.count(LinkState.DOWN) == 0


# ---- UP only once myUpdates runs; refusals end the connection -----------------------------


async def test_up_waits_for_the_first_clean_update_of_myupdates() -> None:
    async with running(FakeBlinkWs()) as server, pos_socket(server) as pos:
        await next_payload(pos.updates)
        await pos.links.wait_for(lambda: pos.links.count(UP) == 1)
        assert pos.links.seen == [(UP, "connected")]


async def test_an_error_for_myupdates_is_a_dead_link_with_blinks_reason() -> None:
    async with running(FakeBlinkWs()) as server:
        message = f'Cannot query field "walletId" on type "LnUpdate". {GOOD_KEY}'
        server.refuse_my_updates = [{"message": message}]
        async with pos_socket(server) as pos:
            await server.wait_for(lambda: server.connections >= 2)
            await pos.links.wait_for(lambda: len(pos.downs()) >= 1)
            reason = pos.downs()[0]
            assert reason.startswith(
                'Blink refused the payment subscription: Cannot query field "walletId"'
            )
            assert GOOD_KEY not in reason
            assert pos.faults()[0] == reason, "a refusal is a fault, not a network drop"
            assert pos.links.count(UP) == 0, "a socket without myUpdates never counts as up"
            assert pos.links.count(LinkState.REJECTED) == 0


async def test_an_error_then_complete_for_myupdates_quotes_the_error() -> None:
    async with running(FakeBlinkWs()) as server:
        server.fail_my_updates = "Redis connection lost"
        async with pos_socket(server) as pos:
            await pos.links.wait_for(lambda: len(pos.downs()) >= 1)
            assert pos.downs()[0] == "Blink refused the payment subscription: Redis connection lost"
            assert pos.faults()[0] == pos.downs()[0]
            assert pos.links.count(UP) == 0


@pytest.mark.parametrize("how", ["end_status", "refuse_status"])
async def test_blink_ending_a_status_subscription_ends_only_that_one(how: str) -> None:
    # An unknown invoice's status (an error, then complete: API-NOTES §4.7), or a document
    # graphql-ws refuses (an error frame: the id is dropped). The socket and the other
    # subscriptions carry on; tearing the socket down would loop on it forever.
    async with running(FakeBlinkWs()) as server, pos_socket(server) as pos:
        await next_payload(pos.updates)
        setattr(server, how, True)
        unknown = pos.socket.subscribe(
            documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, {"input": {"paymentHash": "cd" * 32}}
        )
        async with asyncio.timeout(scaled(5)):
            payloads = [dict(p) async for p in unknown]  # ends after the error
        assert len(payloads) == 1
        assert payloads[0]["errors"][0]["message"]
        assert unknown.closed
        setattr(server, how, False)
        known = pos.socket.subscribe(
            documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, STATUS_VARIABLES
        )
        assert "PENDING" in str(await next_payload(known))
        assert server.connections == 1
        assert pos.downs() == []
        assert unknown.id not in server.completes, "Blink ended it: nothing to send back"


# ---- the RECONNECT key -----------------------------------------------------------------


async def test_reconnect_now_replaces_a_live_connection() -> None:
    async with running(FakeBlinkWs()) as server, pos_socket(server) as pos:
        await pos.links.wait_for(lambda: pos.links.count(UP) == 1)
        pos.socket.reconnect_now()
        await pos.links.wait_for(lambda: pos.links.count(UP) == 2)
        assert server.connections == 2
        assert pos.downs() == ["reconnecting, as asked"]
        assert "RealtimePrice" in str(await next_payload(pos.updates))


async def test_reconnect_now_of_a_live_connection_stays_within_the_budget() -> None:
    budget = ConnectionBudget(limit=1, window=60.0, clock=lambda: 5000.0)  # time stands still
    async with running(FakeBlinkWs()) as server, pos_socket(server, budget=budget) as pos:
        await pos.links.wait_for(lambda: pos.links.count(UP) == 1)
        pos.socket.reconnect_now()
        await pos.links.wait_for(lambda: any("too many new connections" in r for r in pos.downs()))
        assert server.connections == 1


# ---- close codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1001, "Blink is restarting"),
        (1011, "Blink had an internal error"),
        (1012, "Blink is restarting"),
        (1013, "Blink is busy"),
        (4401, "before the connection was acknowledged"),
        (4408, "timed out the connection set-up"),
    ],
)
async def test_closes_a_reconnect_cures_are_retried_at_once(code: int, expected: str) -> None:
    async with running(FakeBlinkWs()) as server:
        server.close_on_subscribe = (code, "bye")
        async with pos_socket(server, rejected_retry=3600.0, later_retry=3600.0) as pos:
            await server.wait_for(lambda: server.connections >= 3)
            assert expected in pos.downs()[0]


async def test_too_many_init_requests_waits_longer_than_a_drop() -> None:
    async with running(FakeBlinkWs()) as server:
        server.close_on_subscribe = (4429, "Too many initialisation requests")
        async with pos_socket(server, later_retry=3600.0) as pos:
            await pos.links.wait_for(lambda: len(pos.downs()) == 1)
            assert "too many connection requests" in pos.downs()[0]
            assert server.connections == 1  # the backoff says 0 s; the 4429 floor says an hour
            server.close_on_subscribe = None
            pos.socket.reconnect_now()
            await pos.links.wait_for(lambda: pos.links.count(UP) == 1)


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (4400, "Invalid message received"),
        (4406, "Subprotocol not acceptable"),
        (4409, "Subscriber for 1 already exists"),
        (4500, "Syntax Error: Unexpected Name"),
    ],
)
async def test_a_close_that_says_our_request_is_wrong_is_a_bug_retried_slowly(
    code: int, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="terminal.blink.socket")
    expected = f"Blink rejected the terminal's request (close {code}: {said}): update the terminal"
    async with running(FakeBlinkWs()) as server:
        server.close_on_subscribe = (code, said)
        async with pos_socket(server, rejected_retry=3600.0) as pos:
            await pos.links.wait_for(lambda: len(pos.downs()) == 1)
            assert pos.faults() == [expected]  # a bug in the terminal: not retried as a drop
            assert server.connections == 1  # no fast loop: the next try is an hour away
            pos.socket.reconnect_now()  # a person may still ask (or an updated Blink may accept)
            await pos.links.wait_for(lambda: len(pos.downs()) == 2)
            assert server.connections == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [f"BlinkPOS link down: {expected}"]


async def test_an_internal_error_close_that_repeats_is_read_as_our_bug() -> None:
    async with running(FakeBlinkWs()) as server:
        server.close_on_subscribe = (4500, "Internal server error")  # Blink's production text
        async with pos_socket(server, rejected_retry=3600.0) as pos:
            await pos.links.wait_for(lambda: len(pos.downs()) == 2)
            first, second = pos.downs()
            assert first == "Blink had an internal error (close 4500: Internal server error)"
            assert second.startswith("Blink rejected the terminal's request (close 4500")
            assert pos.faults() == [second]  # once is Blink's trouble; twice in a row is ours
            assert server.connections == 2


# ---- message size ----------------------------------------------------------------------


async def test_an_oversized_message_ends_the_connection_with_a_clear_reason() -> None:
    async with running(FakeBlinkWs()) as server:
        server.oversized = 300 * 1024
        async with pos_socket(server) as pos:
            await server.wait_for(lambda: server.connections >= 2)
            await pos.links.wait_for(lambda: len(pos.downs()) >= 1)
            assert pos.downs()[0] == (
                "Blink sent a message larger than 256 KiB, the terminal's limit"
            )
            server.oversized = None
            await pos.links.wait_for(lambda: pos.links.count(UP) >= 2)
            assert "RealtimePrice" in str(await next_payload(pos.updates))
