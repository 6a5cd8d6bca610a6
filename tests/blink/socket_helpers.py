"""Shared pieces of the socket tests: a recorder of link states and a socket on the fake server."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from terminal.blink import BlinkSocket, Subscription, documents
from terminal.links import LinkState
from terminal.secret import Secret
from tests.blink.fake_ws import GOOD_KEY, FakeBlinkWs
from tests.support.timing import scaled


class Links:
    """Records ``on_link`` calls and lets a test wait for a pattern in them."""

    def __init__(self) -> None:
        self.seen: list[tuple[LinkState, str]] = []
        self._event = asyncio.Event()

    def __call__(self, state: LinkState, reason: str) -> None:
        self.seen.append((state, reason))
        self._event.set()

    def count(self, state: LinkState) -> int:
        """How many times ``state`` was reported."""
        return sum(1 for s, _ in self.seen if s is state)

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait (bounded) until ``predicate`` holds."""
        async with asyncio.timeout(scaled(seconds)):
            while not predicate():
                self._event.clear()
                await self._event.wait()


def no_wait() -> Iterator[float]:
    """A backoff that retries at once, so tests never wait on the clock."""
    return itertools.repeat(0.0)


@asynccontextmanager
async def running_socket(socket: BlinkSocket) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``socket`` for the block; on exit close it and check run() ended cleanly."""
    task = asyncio.create_task(socket.run())
    try:
        yield task
    finally:
        await socket.close()
        async with asyncio.timeout(scaled(5)):
            await task


async def next_payload(sub: Subscription) -> dict[str, Any]:
    """The next payload of ``sub``, within a bounded wait."""
    async with asyncio.timeout(scaled(5)):
        async for payload in sub:
            return dict(payload)
    raise AssertionError("the subscription ended")


def make_socket(server: FakeBlinkWs, key: str, links: Links, **kwargs: Any) -> BlinkSocket:
    """A BlinkSocket on the fake server with test-friendly timings."""
    options: dict[str, Any] = {"backoff": no_wait, "open_timeout": scaled(5)} | kwargs
    return BlinkSocket(
        server.url, Secret("BlinkPOS", key), name="BlinkPOS", on_link=links, **options
    )


@dataclass
class PosSocket:
    """A running socket with ``myUpdates`` subscribed as essential, as the terminal runs it."""

    socket: BlinkSocket
    updates: Subscription
    links: Links

    def downs(self) -> list[str]:
        """Every reason the link went down so far: DOWN (a drop) or FAULT (a refusal, a bug)."""
        gone = (LinkState.DOWN, LinkState.FAULT)
        return [reason for state, reason in self.links.seen if state in gone]

    def faults(self) -> list[str]:
        """Every FAULT reason: Blink refused detection, or said the terminal sent it wrong."""
        return [reason for state, reason in self.links.seen if state is LinkState.FAULT]


@asynccontextmanager
async def pos_socket(server: FakeBlinkWs, **kwargs: Any) -> AsyncIterator[PosSocket]:
    """Run a good-key socket on ``server`` with ``myUpdates`` (essential) for the block."""
    links = Links()
    socket = make_socket(server, GOOD_KEY, links, **kwargs)
    updates = socket.subscribe(documents.MY_UPDATES, essential=True)
    async with running_socket(socket):
        yield PosSocket(socket, updates, links)
