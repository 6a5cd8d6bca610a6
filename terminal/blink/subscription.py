"""One subscription on a ``BlinkSocket``: an async iterator of ``next`` payloads."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

_QUEUE_LIMIT = 256  # a flood from a broken peer must not eat a Pi Zero's memory

# The root field of a subscription document, e.g. "myUpdates" in "subscription M { myUpdates {".
_ROOT_FIELD = re.compile(r"\bsubscription\b[^{]*\{\s*([_A-Za-z][_0-9A-Za-z]*)")
_LABELS = {
    "myUpdates": "the payment subscription",
    "lnInvoicePaymentStatusByHash": "the invoice status subscription",
    "lnInvoicePaymentStatusByPaymentRequest": "the invoice status subscription",
    "realtimePrice": "the price subscription",
}


def label_of(query: str) -> str:
    """What a merchant calls the subscription ``query`` starts ("the payment subscription")."""
    found = _ROOT_FIELD.search(query)
    if found is None:
        return "a subscription"
    root = found.group(1)
    return _LABELS.get(root, f"the {root} subscription")


class Subscription:
    """One live subscription: iterate it for ``next`` payloads; :meth:`close` ends it."""

    def __init__(
        self,
        forget: Callable[[Subscription], None],
        sub_id: str,
        query: str,
        variables: Mapping[str, object],
        *,
        essential: bool,
    ) -> None:
        self._forget = forget
        self.id = sub_id
        self.query = query
        self.variables = dict(variables)
        self.essential = essential
        self.label = label_of(query)
        self.closed = False
        self._queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()

    def __repr__(self) -> str:
        return f"Subscription(id={self.id!r}, closed={self.closed})"

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Mapping[str, Any]]:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        """Send ``complete`` if connected, stop re-subscribing, end the iteration."""
        if self.closed:
            return
        self.closed = True
        self._forget(self)
        self._put(None)

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """Queue one payload for the reader (the socket calls this)."""
        if not self.closed:
            self._put(payload)

    def _put(self, item: Mapping[str, Any] | None) -> None:
        if self._queue.qsize() >= _QUEUE_LIMIT:
            self._queue.get_nowait()
            log.warning("subscription %s: a reader fell behind; dropped its oldest update", self.id)
        self._queue.put_nowait(item)
