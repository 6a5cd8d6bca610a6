"""Blink's subscriptions in the sandbox: invoice status, ``myUpdates`` and ``realtimePrice``.

Each follows its resolver in Blink's core (``graphql/public/root/subscription/``):

- A status subscription emits the current status at once, PAID when the invoice settles and
  EXPIRED about 1 s after its expiry, and never ends (§4.7). A malformed hash or an undecodable
  request fails before the stream starts (graphql-ws then sends the error and ``complete``); a
  well-formed but unknown one emits a payload with ``errors`` and stays open, as on Blink.
- ``myUpdates`` needs an authenticated socket. It emits the account's price at once and on every
  tick (``RealtimePrice`` in its display currency, and the deprecated ``Price`` before it when
  that currency is USD), and an ``LnUpdate`` for each invoice of the account that is paid.
- ``realtimePrice`` emits the currency's price at once and on every tick; an unlisted currency
  emits a payload with ``errors`` and stays open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from graphql import GraphQLError, GraphQLObjectType

from terminal.sandbox import shapes
from terminal.sandbox.faults import Faults
from terminal.sandbox.hub import PRICE_TICK, TICK, Hub
from terminal.sandbox.ledger import ApiKey, Invoice, Ledger
from terminal.sandbox.lookups import (
    decodable_request,
    find_by_hash,
    find_by_request,
    top_error,
    valid_hash,
)
from terminal.sandbox.prices import PriceBoard, UnknownCurrency, deprecated_price, realtime_price

Payload = dict[str, Any]


def price_channel(code: str) -> str:
    """The hub channel on which ``code``'s price ticks are published."""
    return f"price:{code}"


def invoice_channel(payment_hash: str) -> str:
    """The hub channel on which an invoice's settlement is published."""
    return f"invoice:{payment_hash}"


def account_channel(username: str) -> str:
    """The hub channel of an account's ``myUpdates`` events."""
    return f"account:{username}"


async def _forever() -> None:
    await asyncio.Event().wait()


class Streams:
    """The subscription resolvers, attached to the schema by :meth:`wire`."""

    def __init__(self, ledger: Ledger, hub: Hub, prices: PriceBoard, faults: Faults) -> None:
        self.ledger = ledger
        self.hub = hub
        self.prices = prices
        self.faults = faults

    def wire(self, subscription: GraphQLObjectType) -> None:
        """Attach a ``subscribe`` and a pass-through ``resolve`` to each subscription field."""
        subs: dict[str, Callable[..., AsyncIterator[Payload]]] = {
            "lnInvoicePaymentStatusByHash": self._status_by_hash,
            "lnInvoicePaymentStatusByPaymentRequest": self._status_by_request,
            "myUpdates": self._my_updates,
            "realtimePrice": self._realtime_price,
        }
        for name, gen in subs.items():
            subscription.fields[name].subscribe = gen
            subscription.fields[name].resolve = lambda event, _info, **_kw: event

    # invoice status

    def _status_by_hash(self, _root: Any, _info: Any, input: Payload) -> AsyncIterator[Payload]:
        # Raised before the stream starts: graphql-ws answers the error, then complete.
        payment_hash = valid_hash(input.get("paymentHash"))
        return self._status(lambda: find_by_hash(self.ledger, payment_hash))

    def _status_by_request(self, _root: Any, _info: Any, input: Payload) -> AsyncIterator[Payload]:
        request = decodable_request(input.get("paymentRequest"))
        return self._status(lambda: find_by_request(self.ledger, request))

    async def _status(self, find: Callable[[], Invoice]) -> AsyncIterator[Payload]:
        try:
            invoice = find()
        except GraphQLError as exc:
            # Blink publishes the error on the invoice's trigger and keeps the iterator open.
            yield {"errors": [shapes.app_error(exc.message)]}
            await _forever()
            return
        async for item in self._watch(invoice):
            yield item

    async def _watch(self, invoice: Invoice) -> AsyncIterator[Payload]:
        """§4.7: the current status at once, PAID on settle, EXPIRED ~1 s after expiry; no end."""
        clock = self.ledger.clock
        with self.hub.listen(invoice_channel(invoice.payment_hash)) as queue:
            current = shapes.status(self.ledger, invoice, payload=True)
            yield current
            expired_sent = current["status"] == "EXPIRED"
            while True:
                timeout = None
                if not expired_sent and invoice.paid_at is None:
                    timeout = max(0.0, invoice.expires_at + 1.0 - clock.now())
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    event = TICK
                if event is not TICK:
                    yield shapes.status(self.ledger, invoice, payload=True)
                elif (
                    not expired_sent
                    and invoice.paid_at is None
                    and clock.now() >= invoice.expires_at + 1.0
                ):
                    expired_sent = True
                    if not self.faults.drops("status", invoice.payment_hash):
                        yield shapes.status(self.ledger, invoice, payload=True)

    # myUpdates

    def _my_updates(self, _root: Any, info: Any) -> AsyncIterator[Payload]:
        key: ApiKey | None = info.context.key
        if key is None:
            # Raised before the stream starts, so graphql-ws answers one error then complete.
            raise top_error("Not Authenticated for subscription", "NOT_AUTHENTICATED")
        return self._account_updates(key)

    def _price_updates(self, code: str) -> list[Payload]:
        quote = self.prices.quote(code)
        updates = [realtime_price(quote)]
        if code == "USD":
            # Blink still sends the deprecated Price, first, but only to accounts showing USD.
            updates.insert(0, deprecated_price(quote))
        return [{"errors": [], "update": update} for update in updates]

    async def _account_updates(self, key: ApiKey) -> AsyncIterator[Payload]:
        code = self.ledger.accounts[key.username].display_currency
        with self.hub.listen(price_channel(code), account_channel(key.username)) as queue:
            for item in self._price_updates(code):
                yield item
            while True:
                event = await queue.get()
                if event is TICK:
                    continue
                if event is PRICE_TICK:
                    for item in self._price_updates(code):
                        yield item
                else:
                    yield {"errors": [], "update": event}

    # realtimePrice

    async def _realtime_price(
        self, _root: Any, _info: Any, input: Payload
    ) -> AsyncIterator[Payload]:
        code = input.get("currency") or "USD"
        try:
            first = realtime_price(self.prices.quote(code))
        except UnknownCurrency:
            yield {"errors": [shapes.app_error(f"Unsupported display currency {code}")]}
            await _forever()
            return
        with self.hub.listen(price_channel(code)) as queue:
            yield {"errors": [], "realtimePrice": first}
            while True:
                if await queue.get() is PRICE_TICK:
                    yield {"errors": [], "realtimePrice": realtime_price(self.prices.quote(code))}
