"""A small graphql-transport-ws server on 127.0.0.1 that misbehaves on purpose.

Each test sets ``mode`` (and ``garbage``) to script it; ``connections`` and ``subscribes``
record what the client did, and ``changed`` wakes tests waiting on either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.support.timing import scaled

GOOD_KEY = "blink_GOODkey0123456789abcdefABC"
PRICE = {
    "data": {
        "myUpdates": {
            "errors": [],
            "update": {"__typename": "RealtimePrice", "timestamp": 1_700_000_000},
        }
    }
}
NOT_AUTHENTICATED = {
    "errors": [
        {"message": "Not Authenticated for subscription", "extensions": {"code": "UNAUTHENTICATED"}}
    ]
}


class FakeBlinkWs:
    """Modes: ``normal``, ``silent`` (ack, then never a frame), ``close_after_ack``; flags below."""

    def __init__(self) -> None:
        self.mode = "normal"
        self.garbage: list[str | bytes] = []
        self.end_status = False  # status subscriptions: an error, then complete (unknown invoice)
        self.end_my_updates = False  # myUpdates: one price tick, then complete
        self.drop_after_first_answer = False  # kill the connection after its first next
        self.connections = 0
        self.subscribes: list[tuple[int, str, str]] = []  # (connection number, id, query)
        self.completes: list[str] = []
        self.live: set[ServerConnection] = set()
        self.changed = asyncio.Condition()
        self.url = ""

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait (bounded) until ``predicate`` holds."""
        async with asyncio.timeout(scaled(seconds)), self.changed:
            await self.changed.wait_for(predicate)

    async def _note(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def drop_all(self) -> None:
        """Kill every connection without a close handshake, as a lost mobile link would."""
        for ws in list(self.live):
            ws.transport.abort()

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        self.live.add(ws)
        await self._note()
        try:
            await self._serve(ws, number)
        except ConnectionClosed:
            pass
        finally:
            self.live.discard(ws)
            await self._note()

    async def _serve(self, ws: ServerConnection, number: int) -> None:
        init = json.loads(await ws.recv())
        key = init.get("payload", {}).get("X-API-KEY")
        await ws.send(json.dumps({"type": "connection_ack"}))
        if self.mode == "close_after_ack":
            await ws.close(1011, "going away")
            return
        async for raw in ws:
            if self.mode == "silent":
                continue
            message: dict[str, Any] = json.loads(raw)
            kind = message.get("type")
            if kind == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif kind == "complete":
                self.completes.append(message["id"])
                await self._note()
            elif kind == "subscribe":
                sub_id, query = message["id"], message["payload"]["query"]
                self.subscribes.append((number, sub_id, query))
                await self._note()
                await self._answer(ws, sub_id, query, key)

    async def _answer(self, ws: ServerConnection, sub_id: str, query: str, key: object) -> None:
        if "myUpdates" in query and key != GOOD_KEY:
            await ws.send(json.dumps({"id": sub_id, "type": "next", "payload": NOT_AUTHENTICATED}))
            await ws.send(json.dumps({"id": sub_id, "type": "complete"}))
            return
        for frame in self.garbage:
            await ws.send(frame)
        if "myUpdates" in query:
            payload: dict[str, Any] = PRICE
        elif self.end_status:
            payload = {"errors": [{"message": "Invoice not found"}]}
        else:
            payload = {
                "data": {
                    "lnInvoicePaymentStatusByHash": {
                        "errors": [],
                        "status": "PENDING",
                        "paymentHash": "ab" * 32,
                    }
                }
            }
        await ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))
        if self.drop_after_first_answer:
            ws.transport.abort()
        elif self.end_status if "myUpdates" not in query else self.end_my_updates:
            await ws.send(json.dumps({"id": sub_id, "type": "complete"}))


@asynccontextmanager
async def running(server: FakeBlinkWs) -> AsyncIterator[FakeBlinkWs]:
    """Serve ``server`` on a free loopback port for the duration of the block."""
    async with serve(
        server.handler, "127.0.0.1", 0, subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/graphql"
        yield server
