"""The exchange rate a sale typed in a currency is made sats with: fresh, or no sale.

Blink publishes prices (``realtimePrice``: a query, and a subscription that ticks about every
30 s). The keeper holds the newest one for the configured currency; before a sale it checks, on
Blink's clock, that the price is younger than the bound, asks Blink again if not, and refuses
the sale (with the reason on screen) rather than ever use an old rate silently. The rate then
used is locked in the journal with the sale, so a later move of the price changes nothing.
"""

from __future__ import annotations

import logging
from typing import Protocol

from terminal.blink import documents
from terminal.blink.models import Price
from terminal.blink.prices import realtime_price
from terminal.blink.socket import Subscription
from terminal.blink.updates import errors_message
from terminal.errors import BlinkError, RateUnavailable
from terminal.money.pricing import is_fresh

log = logging.getLogger(__name__)


class PriceSource(Protocol):
    """Blink's price query and clock (the BlinkPOS client has both)."""

    async def realtime_price(self, currency: str = "USD") -> Price:
        """The price of one sat in ``currency``."""
        ...

    def blink_now(self) -> float | None:
        """Blink's time, as its last answer said."""
        ...


class Subscriber(Protocol):
    """The BlinkPOS socket, where the price ticks arrive."""

    def subscribe(
        self,
        query: str,
        variables: dict[str, object] | None = None,
        *,
        essential: bool = False,
    ) -> Subscription:
        """A subscription on the socket."""
        ...


class RateKeeper:
    """The newest price of ``currency`` and whether it may still price a sale."""

    def __init__(self, source: PriceSource, currency: str, max_age: float) -> None:
        self._source = source
        self.currency = currency
        self._max_age = max_age
        self._price: Price | None = None

    @property
    def price(self) -> Price | None:
        """The newest price heard, fresh or not."""
        return self._price

    def heard(self, price: Price) -> None:
        """A price from Blink (a tick or an answer); the newest one is kept."""
        if price.currency != self.currency or price.timestamp is None:
            return
        if self._price is None or (self._price.timestamp or 0) <= price.timestamp:
            self._price = price

    async def fresh(self) -> Price:
        """A price young enough to lock a sale with, asking Blink if need be; else
        RateUnavailable saying how old the newest one is."""
        if not self._is_fresh(self._price):
            try:
                self.heard(await self._source.realtime_price(self.currency))
            except BlinkError as exc:
                raise RateUnavailable(
                    f"no exchange rate for {self.currency}: Blink did not answer ({exc})"
                ) from exc
        price = self._price
        if price is None or not self._is_fresh(price):
            age = self._age(price)
            raise RateUnavailable(
                f"Blink's newest {self.currency} rate is {age} old; the terminal uses none "
                f"older than {self._max_age:.0f} s"
            )
        return price

    async def follow(self, socket: Subscriber) -> None:
        """Keep the price fresh from Blink's ticks on the socket, for as long as it runs."""
        sub = socket.subscribe(
            documents.REALTIME_PRICE_SUBSCRIPTION, {"input": {"currency": self.currency}}
        )
        async for payload in sub:
            problem = errors_message(payload)
            field = _field(payload)
            price = None if field is None else realtime_price(field)
            if price is not None:
                self.heard(price)
            elif problem:
                log.warning("%s price ticks: %s", self.currency, problem)

    def _is_fresh(self, price: Price | None) -> bool:
        if price is None or price.timestamp is None:
            return False
        return is_fresh(price.timestamp, self._source.blink_now(), self._max_age)

    def _age(self, price: Price | None) -> str:
        now = self._source.blink_now()
        if price is None or price.timestamp is None or now is None:
            return "unknown"
        return f"{now - price.timestamp:.0f} s"


def _field(payload: object) -> dict[str, object] | None:
    """The ``realtimePrice`` object inside a subscription's payload, if there is one."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    outer = data.get("realtimePrice") if isinstance(data, dict) else None
    inner = outer.get("realtimePrice") if isinstance(outer, dict) else None
    return inner if isinstance(inner, dict) else None
