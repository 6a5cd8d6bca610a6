"""A small graphql-transport-ws server on 127.0.0.1 that misbehaves on purpose.

Each test sets ``mode`` (and ``garbage``) to script it; ``connections`` and ``subscribes``
record what the client did, and ``changed`` wakes tests waiting on either.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    """Modes: ``normal``, ``silent`` (ack, then never a frame), ``close_after_ack``; flags below.

    In ``normal`` mode each subscription gets one answer, then nothing but pongs: a socket that
    looks alive while its events have stopped.
    """

    def __init__(self) -> None:
        self.mode = "normal"
        self.garbage: list[str | bytes] = []
        self.end_status = False  # status subscriptions: an error, then complete (unknown invoice)
        self.end_my_updates = False  # myUpdates: one price tick, then complete
        self.refuse_status = False  # status subscriptions: an error frame (the id is dropped)
        self.drop_after_first_answer = False  # kill the connection after its first next
        self.tick_every: float | None = None  # myUpdates: a price tick this often, forever
        self.refuse_my_updates: list[dict[str, Any]] | None = None  # myUpdates: this error frame
        self.fail_my_updates: str | None = None  # myUpdates: a next with this error, then complete
        self.close_on_subscribe: tuple[int, str] | None = None  # close (code, reason) instead
        self.oversized: int | None = None  # after answering, one text message this many bytes
        self.connections = 0
        self.pings: list[int] = []  # connection number of every app-level ping answered
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
                self.pings.append(number)
                await ws.send(json.dumps({"type": "pong"}))
                await self._note()
            elif kind == "complete":
                self.completes.append(message["id"])
                await self._note()
            elif kind == "subscribe":
                sub_id, query = message["id"], message["payload"]["query"]
                self.subscribes.append((number, sub_id, query))
                await self._note()
                await self._answer(ws, sub_id, query, key)

    async def _answer(self, ws: ServerConnection, sub_id: str, query: str, key: object) -> None:
        if self.close_on_subscribe is not None:
            await ws.close(*self.close_on_subscribe)
            return
        if "myUpdates" in query and await self._refuse(ws, sub_id, key):
            return
        if "myUpdates" not in query and self.refuse_status:
            error = [{"message": 'Variable "$input" got invalid value'}]
            await ws.send(json.dumps({"id": sub_id, "type": "error", "payload": error}))
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
        if self.oversized is not None:
            await ws.send("x" * self.oversized)
        if self.drop_after_first_answer:
            ws.transport.abort()
        elif "myUpdates" in query and self.tick_every is not None:
            asyncio.get_running_loop().create_task(self._tick(ws, sub_id, self.tick_every))
        elif self.end_status if "myUpdates" not in query else self.end_my_updates:
            await ws.send(json.dumps({"id": sub_id, "type": "complete"}))

    async def _refuse(self, ws: ServerConnection, sub_id: str, key: object) -> bool:
        """Refuse a myUpdates subscription as scripted; say whether it was refused."""
        if key != GOOD_KEY:
            await ws.send(json.dumps({"id": sub_id, "type": "next", "payload": NOT_AUTHENTICATED}))
            await ws.send(json.dumps({"id": sub_id, "type": "complete"}))
        elif self.refuse_my_updates is not None:
            error = {"id": sub_id, "type": "error", "payload": self.refuse_my_updates}
            await ws.send(json.dumps(error))
        elif self.fail_my_updates is not None:
            payload = {"errors": [{"message": self.fail_my_updates}]}
            await ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))
            await ws.send(json.dumps({"id": sub_id, "type": "complete"}))
        else:
            return False
        return True

    async def _tick(self, ws: ServerConnection, sub_id: str, every: float) -> None:
        """Price ticks on one myUpdates subscription until its connection ends."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(every)  # the server's own pace, as Blink's 30 s timer
                await ws.send(json.dumps({"id": sub_id, "type": "next", "payload": PRICE}))


@asynccontextmanager
async def running(server: FakeBlinkWs) -> AsyncIterator[FakeBlinkWs]:
    """Serve ``server`` on a free loopback port for the duration of the block."""
    async with serve(
        server.handler, "127.0.0.1", 0, subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/graphql"
        yield server
