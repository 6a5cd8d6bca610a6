"""In-process pub/sub between settlements, prices and socket subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from terminal.sandbox.faults import Faults

TICK = object()  # the clock moved: re-check expiry timers; never lost
PRICE_TICK = object()  # the price service published: send the channel's currency's price now


class Hub:
    """Channels of events; like Blink's Redis pub/sub, nothing is replayed to late listeners."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._listeners: dict[str, set[asyncio.Queue[Any]]] = {}
        self._all: set[asyncio.Queue[Any]] = set()

    @contextmanager
    def listen(self, *channels: str) -> Iterator[asyncio.Queue[Any]]:
        """A queue that receives what is published on ``channels`` while the block runs."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for channel in channels:
            self._listeners.setdefault(channel, set()).add(queue)
        self._all.add(queue)
        try:
            yield queue
        finally:
            self._all.discard(queue)
            for channel in channels:
                self._listeners.get(channel, set()).discard(queue)

    def publish(self, channel: str, event: Any) -> int:
        """Send ``event`` to the channel's listeners, unless events are being lost."""
        if self._faults.events_lost:
            return 0
        queues = list(self._listeners.get(channel, ()))
        for queue in queues:
            queue.put_nowait(event)
        return len(queues)

    def tick(self) -> None:
        """Wake every listener to re-check time (after ``clock.advance``)."""
        for queue in list(self._all):
            queue.put_nowait(TICK)
