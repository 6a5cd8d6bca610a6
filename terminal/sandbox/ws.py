"""The sandbox's ``graphql-transport-ws`` server, behaving as Blink's (API-NOTES §2)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web
from graphql import ExecutionResult

from terminal.sandbox.api import BlinkApi, Caller, root_fields
from terminal.sandbox.ledger import Ledger

log = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-transport-ws"
# Blink's server pings every 12 s and gives up on a peer that has not answered in 12 s more.
KEEPALIVE_S = 12.0


class GraphqlWsSession:
    """One socket: connection_init, then any number of subscriptions by id."""

    def __init__(
        self, ws: web.WebSocketResponse, api: BlinkApi, ledger: Ledger, init_timeout: float
    ) -> None:
        self.ws = ws
        self.api = api
        self.ledger = ledger
        self.init_timeout = init_timeout
        self.caller = Caller()
        self.acked = False
        self.subscriptions: dict[str, asyncio.Task[None]] = {}

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message, ignoring a socket that is already closing."""
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(message))

    async def run(self) -> None:
        """Serve the socket until it closes."""
        if self.ws.ws_protocol != SUBPROTOCOL:
            await self.ws.close(code=4406, message=b"Subprotocol not acceptable")
            return
        timer = asyncio.get_running_loop().call_later(
            self.init_timeout, lambda: asyncio.ensure_future(self._init_timed_out())
        )
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if not await self._handle(msg.data):
                    break
        finally:
            timer.cancel()
            for task in self.subscriptions.values():
                task.cancel()

    async def _init_timed_out(self) -> None:
        if not self.acked and not self.ws.closed:
            await self.ws.close(code=4408, message=b"Connection initialisation timeout")

    async def _handle(self, data: str) -> bool:
        try:
            message = json.loads(data)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self.ws.close(code=4400, message=b"Invalid message received")
            return False
        if kind == "connection_init":
            return await self._init(message.get("payload") or {})
        if kind == "ping":
            await self.send({"type": "pong"})
            return True
        if kind == "pong":
            return True
        if kind == "subscribe":
            if not self.acked:
                await self.ws.close(code=4401, message=b"Unauthorized")
                return False
            return await self._subscribe(message)
        if kind == "complete":
            task = self.subscriptions.pop(str(message.get("id")), None)
            if task:
                task.cancel()
            return True
        await self.ws.close(code=4400, message=f"Unexpected message type {kind}".encode())
        return False

    async def _init(self, payload: dict[str, Any]) -> bool:
        if self.acked:
            await self.ws.close(code=4429, message=b"Too many initialisation requests")
            return False
        # §2: the ack arrives whatever the key; a bad key only shows later, on myUpdates.
        value = payload.get("X-API-KEY") if isinstance(payload, dict) else None
        self.caller = Caller(self.ledger.keys.get(str(value)) if value else None)
        self.acked = True
        await self.send({"type": "connection_ack"})
        return True

    async def _subscribe(self, message: dict[str, Any]) -> bool:
        sub_id = message.get("id")
        payload = message.get("payload") or {}
        if not isinstance(sub_id, str) or not isinstance(payload, dict):
            await self.ws.close(code=4400, message=b"Invalid message received")
            return False
        if sub_id in self.subscriptions:
            await self.ws.close(
                code=4409, message=f"Subscriber for {sub_id} already exists".encode()
            )
            return False
        document, errors = self.api.parse(str(payload.get("query", "")))
        op_name = payload.get("operationName")
        if document is None:
            await self.send(
                {"id": sub_id, "type": "error", "payload": [e.formatted for e in errors]}
            )
            return True
        kind, _fields = root_fields(document, op_name)
        if kind != "subscription":
            await self.send(
                {
                    "id": sub_id,
                    "type": "error",
                    "payload": [{"message": "Only subscription operations are supported"}],
                }
            )
            return True
        variables = payload.get("variables") or None
        self.subscriptions[sub_id] = asyncio.create_task(
            self._stream(sub_id, document, variables, op_name)
        )
        return True

    async def _stream(
        self, sub_id: str, document: Any, variables: dict[str, Any] | None, op: str | None
    ) -> None:
        result = await self.api.subscribe(document, variables, op, self.caller)
        if isinstance(result, ExecutionResult):
            # e.g. myUpdates on an unauthenticated socket: one error result, then complete.
            await self.send({"id": sub_id, "type": "next", "payload": result.formatted})
            await self.send({"id": sub_id, "type": "complete"})
            self.subscriptions.pop(sub_id, None)
            return
        stream: AsyncIterator[ExecutionResult] = result
        try:
            async for item in stream:
                await self.send({"id": sub_id, "type": "next", "payload": item.formatted})
        except Exception:
            log.exception("sandbox subscription %s failed", sub_id)
            await self.send({"id": sub_id, "type": "error", "payload": [{"message": "internal"}]})
            self.subscriptions.pop(sub_id, None)
            return
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        # Blink's status streams never end; a finished stream here carried an error payload.
        await self.send({"id": sub_id, "type": "complete"})
        self.subscriptions.pop(sub_id, None)
