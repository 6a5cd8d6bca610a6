"""The sandbox's ``graphql-transport-ws`` server, behaving as Blink's (API-NOTES §2).

Blink runs graphql-ws 5.16 (``useServer`` on the ``ws`` library); this session reproduces what
that server does with each message (``src/server.ts`` and ``src/use/ws.ts`` of graphql-ws):

====================================================  =========================================
the client sends                                      the server answers
====================================================  =========================================
an offer without the ``graphql-transport-ws`` proto   close 4406 "Subprotocol not acceptable"
nothing within the init timeout (3 s)                 close 4408 "Connection initialisation…"
text that is not a valid protocol message             close 4400 "Invalid message received"
a second ``connection_init``                          close 4429 "Too many initialisation…"
``subscribe`` before ``connection_ack``               close 4401 "Unauthorized"
``subscribe`` with an id already in use               close 4409 "Subscriber for <id> already…"
a document that does not parse                        close 4500 "Internal server error"
a document that fails validation                      ``error`` with the GraphQL errors; id freed
a query or mutation (Blink only streams)              ``error`` "Only subscription operations…"
a message type only servers send (``next``…)          close 4500
``ping``                                              ``pong``
====================================================  =========================================

Keep-alive is ``use/ws``'s: a WebSocket ping frame every 12 s, and the socket is terminated (no
close frame) when the pong to the previous ping has not arrived by the next one. Only pongs count:
other traffic from the client does not keep a socket alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from graphql import ExecutionResult, GraphQLError

from terminal.sandbox.api import BlinkApi, Caller, chosen_operation, root_fields
from terminal.sandbox.faults import Faults
from terminal.sandbox.ledger import Ledger
from terminal.sandbox.stats import Stats

log = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-transport-ws"
KEEPALIVE_S = 12.0  # graphql-ws use/ws default keepAlive
# Blink's onConnect looks the key up (Oathkeeper, 1 s timeout) before the ack is sent, while
# graphql-ws goes on handling the socket's other messages: a subscribe that does not wait for
# the ack arrives during the lookup and is refused with 4401 (API-NOTES §7).
AUTH_LOOKUP_S = 0.02
_CLIENT_TYPES = ("connection_init", "ping", "pong", "subscribe", "complete")
_SERVER_TYPES = ("connection_ack", "next", "error")


@dataclass(frozen=True)
class SocketTimings:
    """How long a socket may wait for ``connection_init``, ping every, and look a key up."""

    init_timeout: float = 3.0
    keepalive: float = KEEPALIVE_S
    auth_lookup: float = AUTH_LOOKUP_S


class ProtocolClose(Exception):
    """End the socket with this graphql-ws close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def _invalid() -> ProtocolClose:
    return ProtocolClose(4400, "Invalid message received")


def parse_message(data: str) -> dict[str, Any]:
    """A client message checked as graphql-ws checks it; ``ProtocolClose`` 4400 if invalid."""
    try:
        message = json.loads(data)
    except ValueError as exc:
        raise _invalid() from exc
    if not isinstance(message, dict) or message.get("type") not in _CLIENT_TYPES + _SERVER_TYPES:
        raise _invalid()
    kind = message["type"]
    payload = message.get("payload")
    if kind in ("subscribe", "complete", "next", "error"):
        sub_id = message.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            raise _invalid()
    if kind == "subscribe":
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise _invalid()
        for name, kinds in (("operationName", (str,)), ("variables", (dict,))):
            value = payload.get(name)
            if value is not None and not isinstance(value, kinds):
                raise _invalid()
    elif kind != "next" and payload is not None and not isinstance(payload, dict | list):
        raise _invalid()
    return message


class GraphqlWsSession:
    """One socket: connection_init, then any number of subscriptions by id."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        api: BlinkApi,
        ledger: Ledger,
        faults: Faults,
        stats: Stats,
        timings: SocketTimings,
    ) -> None:
        self.ws = ws
        self.request = request
        self.api = api
        self.ledger = ledger
        self.faults = faults
        self.stats = stats
        self.timings = timings
        self.caller = Caller()
        self.init_received = False
        self.acked = False
        self.subscriptions: dict[str, asyncio.Task[None]] = {}
        self._pong_due = False
        self._acking: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message, ignoring a socket that is already closing."""
        if message.get("type") == "next" and self.faults.blacked_out:
            return  # a blackout loses every next message, events and prices alike
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(message))

    async def close(self, code: int, reason: str) -> None:
        """Close the socket with a graphql-ws close code."""
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())

    def terminate(self) -> None:
        """Drop the connection without a close frame (``ws``'s ``terminate()``)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def run(self) -> None:
        """Serve the socket until it closes."""
        if self.ws.ws_protocol != SUBPROTOCOL:
            await self.close(4406, "Subprotocol not acceptable")
            return
        loop = asyncio.get_running_loop()
        timer = loop.call_later(
            self.timings.init_timeout, lambda: asyncio.ensure_future(self._init_timed_out())
        )
        pinger = asyncio.create_task(self._keep_alive()) if self.timings.keepalive > 0 else None
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.PING:
                    await self.ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    self._pong_due = False
                elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    data = (
                        msg.data
                        if isinstance(msg.data, str)
                        else msg.data.decode("utf-8", "replace")
                    )
                    try:
                        await self._handle(data)
                    except ProtocolClose as close:
                        await self.close(close.code, close.reason)
                        break
        finally:
            timer.cancel()
            for task in (pinger, self._acking):
                if task is not None:
                    task.cancel()
            for task in self.subscriptions.values():
                task.cancel()

    async def _keep_alive(self) -> None:
        while not self.ws.closed:
            await asyncio.sleep(self.timings.keepalive)
            if self._pong_due:
                log.info("sandbox socket missed its pong: terminated")
                self.terminate()
                return
            self._pong_due = True
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.ping()

    async def _init_timed_out(self) -> None:
        if not self.init_received:
            await self.close(4408, "Connection initialisation timeout")

    async def _handle(self, data: str) -> None:
        message = parse_message(data)
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload") or {})
        elif kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if message.get("payload"):
                pong["payload"] = message["payload"]
            await self.send(pong)
        elif kind == "subscribe":
            await self._subscribe(message["id"], message["payload"])
        elif kind == "complete":
            task = self.subscriptions.pop(message["id"], None)
            if task:
                task.cancel()
        elif kind != "pong":
            # Valid in the protocol but only servers send it: graphql-ws throws, and use/ws
            # closes the socket with 4500.
            raise ProtocolClose(4500, "Internal server error")

    async def _init(self, payload: dict[str, Any]) -> None:
        if self.init_received:
            raise ProtocolClose(4429, "Too many initialisation requests")
        self.init_received = True
        self._acking = asyncio.create_task(self._acknowledge(payload))

    async def _acknowledge(self, payload: dict[str, Any]) -> None:
        await asyncio.sleep(self.timings.auth_lookup)
        # §2: the ack arrives whatever the key; a bad key only shows later, on myUpdates.
        value = payload.get("X-API-KEY") if isinstance(payload, dict) else None
        self.caller = Caller(self.ledger.keys.get(str(value)) if value else None)
        self.acked = True
        await self.send({"type": "connection_ack"})

    async def _subscribe(self, sub_id: str, payload: dict[str, Any]) -> None:
        if not self.acked:
            raise ProtocolClose(4401, "Unauthorized")
        if sub_id in self.subscriptions:
            raise ProtocolClose(4409, f"Subscriber for {sub_id} already exists")
        op_name = payload.get("operationName")
        try:
            document = self.api.parse(payload["query"])
        except GraphQLError as exc:
            # graphql-ws calls parse() unguarded: the throw closes the socket with 4500.
            raise ProtocolClose(4500, "Internal server error") from exc
        operation = chosen_operation(document, op_name)
        named = operation.name.value if operation and operation.name else op_name
        self.stats.count_subscription(named)
        errors = self.api.validate(document)
        if errors:
            await self._error(sub_id, [e.formatted for e in errors])
            return
        if operation is None:
            await self._error(sub_id, [{"message": "Unable to identify operation"}])
            return
        kind, fields = root_fields(document, op_name)
        if kind != "subscription":
            await self._error(sub_id, [{"message": "Only subscription operations are supported"}])
            return
        fault = self.faults.take_subscription_fault(fields | ({named} if named else set()))
        if fault == "close4500":
            raise ProtocolClose(4500, "Internal server error")
        if fault == "error":
            await self._error(sub_id, [{"message": "Internal server error"}])
            return
        if fault == "complete":
            await self.send({"id": sub_id, "type": "complete"})
            return
        variables = payload.get("variables")
        self.subscriptions[sub_id] = asyncio.create_task(
            self._stream(sub_id, document, variables, op_name)
        )

    async def _error(self, sub_id: str, errors: list[Any]) -> None:
        await self.send({"id": sub_id, "type": "error", "payload": errors})

    async def _stream(
        self, sub_id: str, document: Any, variables: dict[str, Any] | None, op: str | None
    ) -> None:
        try:
            result = await self.api.subscribe(document, variables, op, self.caller)
            if isinstance(result, ExecutionResult):
                # e.g. myUpdates on an unauthenticated socket: one error result, then complete.
                await self.send({"id": sub_id, "type": "next", "payload": result.formatted})
            else:
                try:
                    async for item in result:
                        await self.send({"id": sub_id, "type": "next", "payload": item.formatted})
                finally:
                    with contextlib.suppress(Exception):
                        await result.aclose()
        except asyncio.CancelledError:
            raise
        except Exception:
            # graphql-ws lets a failing stream throw out of onMessage: use/ws closes with 4500.
            log.exception("sandbox subscription %s failed", sub_id)
            self.subscriptions.pop(sub_id, None)
            await self.close(4500, "Internal server error")
            return
        self.subscriptions.pop(sub_id, None)
        await self.send({"id": sub_id, "type": "complete"})
