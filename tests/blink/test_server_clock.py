"""Blink's clock: the last answer's Date moved on by the monotonic clock, never stepping back."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from terminal.blink.http import BlinkHttp
from terminal.blink.server_clock import ServerClock
from terminal.secret import Secret


def test_unknown_until_blink_has_answered_then_moves_with_the_monotonic_clock() -> None:
    mono = [100.0]
    clock = ServerClock(lambda: mono[0])
    assert clock.now() is None
    clock.heard(datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC))
    base = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC).timestamp()
    assert clock.now() == base
    mono[0] += 42.5
    assert clock.now() == base + 42.5


def test_a_fresh_answer_one_second_behind_never_steps_the_clock_back() -> None:
    mono = [0.0]
    clock = ServerClock(lambda: mono[0])
    clock.heard(datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC))
    mono[0] = 0.9
    first = clock.now()
    assert first is not None
    clock.heard(datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC))  # the same floored second
    second = clock.now()
    assert second is not None
    assert second >= first


async def test_blink_http_learns_blinks_time_from_any_answer_whatever_the_local_clock() -> None:
    said = "Thu, 03 Dec 2026 09:00:00 GMT"  # a day before this machine's clock, say

    def answer(request: httpx.Request) -> httpx.Response:
        body = {"data": {"globals": {"network": "mainnet", "nodesIds": ["02" + "ab" * 32]}}}
        return httpx.Response(200, json=body, headers={"Date": said})

    http = BlinkHttp(
        "https://api.example/graphql",
        Secret("BlinkPOS", "blink_test"),
        transport=httpx.MockTransport(answer),
    )
    assert http.blink_now() is None
    await http.node_ids()
    now = http.blink_now()
    await http.aclose()
    assert now is not None
    expected = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC).timestamp()
    assert expected <= now < expected + 60
