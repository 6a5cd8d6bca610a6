"""The rate keeper: the newest price kept, a stale one refreshed, none older than the bound used,
and the price ticks on the socket followed (errors named, malformed frames ignored)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest

from terminal.blink.models import Price
from terminal.blink.subscription import Subscription
from terminal.errors import BlinkUnreachable, RateUnavailable
from terminal.money.rates import RateKeeper

NOW = 1_700_000_000


def eur(timestamp: int | None, cents: str = "0.095") -> Price:
    return Price(timestamp, "EUR", 2, Decimal(cents))


class Blink:
    """Blink's price query and clock, as the keeper sees them: answers queued by the test."""

    def __init__(self, *answers: Price | Exception, now: float | None = NOW) -> None:
        self.answers = list(answers)
        self.now = now
        self.asked = 0

    async def realtime_price(self, currency: str = "USD") -> Price:
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def blink_now(self) -> float | None:
        return self.now


class Socket:
    """The BlinkPOS socket: its one subscription carries ``frames``, then ends."""

    def __init__(self, *frames: dict[str, object]) -> None:
        self.frames = frames

    def subscribe(
        self, query: str, variables: dict[str, object] | None = None, *, essential: bool = False
    ) -> Subscription:
        sub = Subscription(lambda _s: None, "1", query, variables or {}, essential=essential)
        for frame in self.frames:
            sub.deliver(frame)
        sub.close()
        return sub


def test_only_the_newest_price_of_the_currency_is_kept() -> None:
    keeper = RateKeeper(Blink(), "EUR", 60)
    keeper.heard(eur(NOW - 10))
    keeper.heard(eur(NOW - 20, "0.2"))  # an older tick arriving late
    keeper.heard(Price(NOW, "USD", 2, Decimal("0.1")))  # another currency
    keeper.heard(eur(None, "0.3"))  # the deprecated tick has no time: it cannot be judged
    assert keeper.price == eur(NOW - 10)


async def test_a_fresh_price_is_used_without_asking_blink() -> None:
    blink = Blink()
    keeper = RateKeeper(blink, "EUR", 60)
    keeper.heard(eur(NOW - 59))
    assert await keeper.fresh() == eur(NOW - 59)
    assert blink.asked == 0


async def test_a_stale_price_is_asked_for_again() -> None:
    blink = Blink(eur(NOW - 1, "0.1"))
    keeper = RateKeeper(blink, "EUR", 60)
    keeper.heard(eur(NOW - 61))
    assert await keeper.fresh() == eur(NOW - 1, "0.1")
    assert blink.asked == 1


async def test_blink_not_answering_refuses_the_sale() -> None:
    keeper = RateKeeper(Blink(BlinkUnreachable("connection refused")), "EUR", 60)
    with pytest.raises(RateUnavailable, match="no exchange rate for EUR: Blink did not answer"):
        await keeper.fresh()


async def test_an_old_answer_refuses_the_sale_saying_how_old() -> None:
    keeper = RateKeeper(Blink(eur(NOW - 120)), "EUR", 60)
    with pytest.raises(RateUnavailable, match=r"newest EUR rate is 120 s old.*older than 60 s"):
        await keeper.fresh()


async def test_without_blinks_clock_no_price_is_fresh() -> None:
    keeper = RateKeeper(Blink(eur(NOW), now=None), "EUR", 60)
    with pytest.raises(RateUnavailable, match="rate is unknown old"):
        await keeper.fresh()


async def test_the_ticks_keep_the_price_and_errors_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tick = {
        "btcSatPrice": {"base": 95_000_000, "offset": 9},
        "denominatorCurrencyDetails": {"id": "EUR", "fractionDigits": 2},
        "timestamp": NOW,
    }
    socket = Socket(
        {"data": {"realtimePrice": {"realtimePrice": tick}}},
        {"data": None, "errors": [{"message": "price service down"}]},
        {"data": {"realtimePrice": "not an object"}},
    )
    keeper = RateKeeper(Blink(), "EUR", 60)
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(keeper.follow(socket), 5)
    assert keeper.price == Price(NOW, "EUR", 2, Decimal("0.095"))
    assert [r.getMessage() for r in caplog.records] == ["EUR price ticks: price service down"]
