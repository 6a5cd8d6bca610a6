"""BlinkSocket against a misbehaving loopback graphql-transport-ws server."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminal.blink import BlinkSocket, ConnectionBudget, documents
from terminal.links import LinkState
from terminal.secret import Secret
from tests.blink.fake_ws import GOOD_KEY, FakeBlinkWs, running
from tests.blink.socket_helpers import Links, make_socket, next_payload, no_wait, running_socket

BAD_KEY = "blink_BADkey0123456789abcdefXYZ"


async def test_subscribes_after_ack_and_resubscribes_after_a_drop() -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        socket = make_socket(server, GOOD_KEY, links)
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket):
            first = await next_payload(updates)
            assert first["data"]["myUpdates"]["update"]["__typename"] == "RealtimePrice"
            status = socket.subscribe(
                documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, {"input": {"paymentHash": "ab" * 32}}
            )
            assert "PENDING" in json.dumps(await next_payload(status))

            await server.drop_all()
            await links.wait_for(lambda: links.count(LinkState.UP) >= 2)
            await server.wait_for(lambda: sum(1 for c, _, _ in server.subscribes if c == 2) == 2)
            # Both subscriptions came back on the new connection, and keep delivering.
            assert await next_payload(updates)
            assert await next_payload(status)
            assert links.count(LinkState.DOWN) >= 1
            ids = sorted(i for c, i, _ in server.subscribes if c == 2)
            assert ids == sorted({updates.id, status.id})


async def test_closing_a_subscription_sends_complete_and_stops_resubscribing() -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        socket = make_socket(server, GOOD_KEY, links)
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket):
            await next_payload(updates)
            status = socket.subscribe(
                documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, {"input": {"paymentHash": "ab" * 32}}
            )
            await next_payload(status)
            status.close()
            await server.wait_for(lambda: status.id in server.completes)
            await server.drop_all()
            await server.wait_for(lambda: any(c == 2 for c, _, _ in server.subscribes))
            assert [i for c, i, _ in server.subscribes if c == 2] == [updates.id]


async def test_silence_beyond_the_liveness_bound_means_reconnect() -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        server.mode = "silent"  # acks, then never another frame, not even a pong
        socket = make_socket(server, GOOD_KEY, links, liveness_timeout=0.3)
        async with running_socket(socket):
            await links.wait_for(lambda: links.count(LinkState.UP) >= 2)
            reasons = [r for s, r in links.seen if s is LinkState.DOWN]
            assert any("no news" in r for r in reasons)
            assert server.connections >= 2


async def test_a_bad_key_is_rejected_and_not_retried_until_asked() -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        socket = make_socket(server, BAD_KEY, links, rejected_retry=3600.0)
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket):
            await links.wait_for(lambda: links.count(LinkState.REJECTED) == 1)
            reason = next(r for s, r in links.seen if s is LinkState.REJECTED)
            assert "BlinkPOS" in reason
            assert BAD_KEY not in reason
            assert "Not Authenticated" in json.dumps(await next_payload(updates))
            assert server.connections == 1  # waiting an hour, not hammering Blink
            socket.reconnect_now()
            await server.wait_for(lambda: server.connections == 2)
            await links.wait_for(lambda: links.count(LinkState.REJECTED) == 2)


async def test_the_connection_budget_holds_against_a_server_that_keeps_closing() -> None:
    links = Links()
    frozen_clock = 5000.0  # time never passes, so the budget never refills
    budget = ConnectionBudget(limit=3, window=60.0, clock=lambda: frozen_clock)
    async with running(FakeBlinkWs()) as server:
        server.mode = "close_after_ack"
        socket = make_socket(server, GOOD_KEY, links, budget=budget)
        async with running_socket(socket):
            await links.wait_for(
                lambda: any("too many new connections" in r for _, r in links.seen)
            )
            assert server.connections == 3
            socket.reconnect_now()  # the merchant's key does not break the budget either
            await links.wait_for(
                lambda: sum("too many new connections" in r for _, r in links.seen) >= 2
            )
            assert server.connections == 3


async def test_two_sockets_on_one_budget_share_its_limit() -> None:
    # Blink counts new connections per IP: the BlinkPOS and merchant sockets share one budget.
    budget = ConnectionBudget(limit=4, window=60.0, clock=lambda: 5000.0)
    links = Links()
    async with running(FakeBlinkWs()) as server:
        server.mode = "close_after_ack"
        pos = make_socket(server, GOOD_KEY, links, budget=budget)
        merchant = make_socket(server, GOOD_KEY, links, budget=budget)
        async with running_socket(pos), running_socket(merchant):
            await links.wait_for(
                lambda: sum("too many new connections" in r for _, r in links.seen) >= 2
            )
            assert server.connections == 4


async def test_backoff_restarts_only_after_a_connection_that_stayed_up() -> None:
    links = Links()
    starts: list[int] = []
    now = [1000.0]  # the socket's clock for uptime; the test moves it

    def counting_backoff() -> Iterator[float]:
        starts.append(1)
        return itertools.repeat(0.0)

    async with running(FakeBlinkWs()) as server:
        socket = make_socket(
            server,
            GOOD_KEY,
            links,
            backoff=counting_backoff,
            healthy_after=30.0,
            clock=lambda: now[0],
        )
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket):
            await next_payload(updates)
            now[0] += 30.0  # up for 30 s: healthy
            await server.drop_all()
            await links.wait_for(lambda: links.count(LinkState.UP) >= 2)
            assert len(starts) == 2  # the first series, and a fresh one after the healthy link
            # Every connection now delivers a price tick at once, then drops, with no time
            # passing: delivering is not health, so the backoff series keeps growing.
            server.drop_after_first_answer = True
            await server.drop_all()
            await server.wait_for(lambda: server.connections >= 6)
            assert len(starts) == 2


async def test_blink_ending_an_essential_subscription_means_reconnect() -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        server.end_my_updates = True
        socket = make_socket(server, GOOD_KEY, links)
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket):
            await links.wait_for(lambda: links.count(LinkState.UP) >= 2)
            faults = [r for s, r in links.seen if s is LinkState.FAULT]
            assert any("ended the payment subscription" in r for r in faults)
            assert not updates.closed, "re-subscribed after the reconnect"


async def test_an_unreachable_server_reports_down_and_run_survives() -> None:
    links = Links()
    socket = BlinkSocket(
        "ws://127.0.0.1:9/graphql",
        None,
        name="merchant",
        on_link=links,
        backoff=no_wait,
        budget=ConnectionBudget(limit=2, clock=lambda: 0.0),
    )
    async with running_socket(socket) as task:
        await links.wait_for(lambda: links.count(LinkState.DOWN) >= 2)
        assert not task.done()
        assert any("cannot reach Blink" in r for s, r in links.seen if s is LinkState.DOWN)


garbage_frames = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.binary(max_size=40),
        st.just("{" + BAD_KEY),
        st.builds(
            json.dumps,
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(
                        [
                            "next",
                            "error",
                            "complete",
                            "ping",
                            "pong",
                            "connection_ack",
                            "subscribe",
                            "?",
                            BAD_KEY,
                        ]
                    ),
                    "id": st.one_of(st.none(), st.integers(), st.sampled_from(["99", "", BAD_KEY])),
                    "payload": st.one_of(
                        st.none(),
                        st.text(max_size=10),
                        st.just([BAD_KEY]),
                        st.just({"errors": [{"message": BAD_KEY}]}),
                        st.just([{"message": "Not Authenticated " + BAD_KEY}]),
                    ),
                },
            ),
        ),
    ),
    max_size=8,
)


async def _garbage_round(frames: list[str | bytes]) -> None:
    links = Links()
    async with running(FakeBlinkWs()) as server:
        server.garbage = frames
        socket = make_socket(server, GOOD_KEY, links)
        updates = socket.subscribe(documents.MY_UPDATES, essential=True)
        async with running_socket(socket) as task:
            # The real update after the garbage still arrives: run() neither crashed nor left.
            assert "RealtimePrice" in json.dumps(await next_payload(updates))
            assert not task.done()
            assert links.count(LinkState.REJECTED) == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=garbage_frames)
def test_garbage_frames_never_crash_the_client_nor_leak_a_key(
    frames: list[str | bytes], caplog: pytest.LogCaptureFixture
) -> None:
    Secret("customer", BAD_KEY)  # a key the terminal knows, echoed back by a hostile peer
    caplog.set_level(logging.DEBUG)  # websockets' own wire log quotes our connection_init
    asyncio.run(_garbage_round(frames))
    client_records = [r for r in caplog.records if r.name.startswith("terminal")]
    assert client_records  # the wire log really was captured, so the check below means something
    for record in client_records:
        text = record.getMessage() + (record.exc_text or "")
        for key in (GOOD_KEY, BAD_KEY):
            # Not even a fragment: an abridged quote ("...y0123456789abc") is a leak too.
            fragments = {key[i : i + 10] for i in range(len(key) - 9)}
            assert not any(f in text for f in fragments), record.name
    caplog.clear()
