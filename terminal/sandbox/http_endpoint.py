"""``POST /graphql``: Blink's HTTP API, and what a flaky or hostile one does to its answers.

Faults apply in this order: the network being down (the connection is reset at once), latency,
a failed answer (``failNext``: 500, 429, or a held-then-dropped "timeout"), a held payment
(``holdPayment``: no answer, the payment lands later), a falsified invoice (``tamper``), then the
answer's delivery: padded to a huge size (``hugeAnswer``) and/or dribbled out (``trickle``).
Every answer's ``Date`` header is the sandbox's movable clock, set in :mod:`.server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from graphql import GraphQLError
from graphql.language import DocumentNode

from terminal.sandbox.api import Caller, chosen_operation, root_fields
from terminal.sandbox.faults import HttpFault
from terminal.sandbox.stats import Served

if TYPE_CHECKING:
    from terminal.sandbox.server import Sandbox

log = logging.getLogger(__name__)

_PADDING_CHUNK = b"x" * 65536  # one buffer, written as often as a huge answer needs it
_TRICKLE_TICK_S = 0.1


def _http_error(error: GraphQLError) -> dict[str, Any]:
    """An error as Blink's core ``formatError`` shows it: ``code`` top-level and in extensions."""
    shaped: dict[str, Any] = dict(error.formatted)
    code = (error.extensions or {}).get("code")
    if code:
        shaped["code"] = code
    return shaped


def _padded(answer: dict[str, Any], size: int) -> tuple[int, Iterator[bytes]]:
    """``answer`` as JSON of ``size`` bytes (never shorter than the answer itself), streamed.

    The padding is one long string in ``extensions``, which a GraphQL client must ignore.
    """
    body = json.dumps(answer).encode()
    separator = b", " if answer else b""
    head = body[:-1] + separator + b'"extensions": {"padding": "'
    tail = b'"}}'
    padding = max(0, size - len(head) - len(tail))

    def chunks() -> Iterator[bytes]:
        yield head
        left = padding
        while left > 0:
            piece = _PADDING_CHUNK if left >= len(_PADDING_CHUNK) else _PADDING_CHUNK[:left]
            left -= len(piece)
            yield piece
        yield tail

    return len(head) + padding + len(tail), chunks()


class HttpEndpoint:
    """The ``/graphql`` POST handler of one sandbox, with its faults."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self._live: dict[int, web.Request] = {}  # by id(): a Request is not hashable
        self._held: set[asyncio.Task[None]] = set()

    def cut(self) -> int:
        """Reset every HTTP connection with a request in progress; how many."""
        count = 0
        for request in list(self._live.values()):
            if request.transport is not None:
                request.transport.abort()
                count += 1
        return count

    @property
    def in_progress(self) -> int:
        """How many requests are being served now."""
        return len(self._live)

    def cancel_held(self) -> None:
        """Forget held payments that have not landed (the sandbox is stopping)."""
        for task in list(self._held):
            task.cancel()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one ``POST /graphql``."""
        if not self.sb.faults.http_up:
            return self.reset(request)
        self._live[id(request)] = request
        arrived_at = time.monotonic()  # what a benchmark calls "the request reached Blink"
        served: list[Served | None] = [None]  # _serve's record of it, stamped when answered
        try:
            return await self._serve(request, arrived_at, served)
        except ConnectionError:  # the client or a "network down" fault cut it
            return web.Response(status=499)
        finally:
            self._live.pop(id(request), None)
            if served[0] is not None:
                served[0].answered = time.monotonic()

    @staticmethod
    def reset(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        # The connection is gone; aiohttp drops an answer written to an aborted transport.
        return web.Response(status=503)

    async def _serve(
        self, request: web.Request, arrived_at: float, served: list[Served | None]
    ) -> web.StreamResponse:
        faults = self.sb.faults
        if faults.latency > 0:
            await self.sb.wait(faults.latency)
        try:
            body = await request.json()
            query = body["query"]
            assert isinstance(query, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            self.sb.stats.count_http(None)
            message = "POST body must be JSON with a query string"
            return await self._send(request, {"errors": [{"message": message}]}, 400)
        variables = body.get("variables") or None
        op_name = body.get("operationName") or None
        document: DocumentNode | None = None
        errors: list[GraphQLError] = []
        try:
            document = self.sb.api.parse(query)
            errors = self.sb.api.validate(document)
        except GraphQLError as exc:
            errors = [exc]
        operations = {op_name} if op_name else set()
        named = op_name
        if document is not None:
            operations |= root_fields(document, op_name)[1]
            operation = chosen_operation(document, op_name)
            if operation is not None and operation.name is not None:
                named = operation.name.value
                operations.add(named)
        served[0] = self.sb.stats.count_http(named, arrived_at)
        fault = faults.take(operations)
        if fault is not None and not fault.execute:
            return await self._fail(request, fault)
        raw_key = request.headers.get("X-API-KEY")
        key = None
        if raw_key is not None:
            key = self.sb.ledger.keys.get(raw_key)
            if key is None:
                # §1: Oathkeeper refuses an unknown key before GraphQL runs.
                refusal = {
                    "error": {
                        "code": 401,
                        "status": "Unauthorized",
                        "message": "Access credentials are invalid",
                    }
                }
                return await self._send(request, refusal, 401)
        if document is None or errors:
            return await self._send(request, {"errors": [_http_error(e) for e in errors]})
        caller = Caller(key)
        hold = faults.take_hold(operations)
        if hold is not None:
            return await self._hold(request, hold, document, variables, op_name, caller)
        caller = Caller(key, faults.take_tamper(operations))
        answer = self._run(document, variables, op_name, caller)
        if fault is not None:
            return await self._fail(request, fault)
        return await self._send(request, answer)

    def _run(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        op_name: str | None,
        caller: Caller,
    ) -> dict[str, Any]:
        kind, _names = root_fields(document, op_name)
        if kind == "subscription":
            return {"errors": [{"message": "Subscriptions are served on the WebSocket endpoint"}]}
        result = self.sb.api.execute(document, variables, op_name, caller)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_http_error(e) for e in result.errors]
        return answer

    async def _hold(
        self,
        request: web.Request,
        seconds: float,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        op_name: str | None,
        caller: Caller,
    ) -> web.StreamResponse:
        """No answer now; the request is carried out ``seconds`` later (lost in flight, late)."""

        async def land() -> None:
            await self.sb.wait(seconds)
            if not self.sb.stopping:
                outcome = self._run(document, variables, op_name, caller)
                log.info("sandbox: a held request landed late: %s", outcome.get("data"))

        task = asyncio.create_task(land())
        self._held.add(task)
        task.add_done_callback(self._held.discard)
        await self.sb.wait(self.sb.faults.timeout_hold)
        return self.reset(request)

    async def _fail(self, request: web.Request, fault: HttpFault) -> web.StreamResponse:
        if fault.kind == "429":
            return web.Response(
                status=429,
                text="<html><body><h1>429 Too Many Requests</h1></body></html>",
                content_type="text/html",
                headers={"Retry-After": str(self.sb.faults.retry_after)},
            )
        if fault.kind == "500":
            return web.json_response(
                {"errors": [{"message": "Internal server error", "code": "UNKNOWN_CLIENT_ERROR"}]},
                status=500,
            )
        await self.sb.wait(self.sb.faults.timeout_hold)
        return self.reset(request)

    async def _send(
        self, request: web.Request, answer: dict[str, Any], status: int = 200
    ) -> web.StreamResponse:
        """Write the answer: at once, or padded (``hugeAnswer``) and/or slowly (``trickle``)."""
        faults = self.sb.faults
        huge = faults.take_huge()
        pace = faults.take_trickle()
        if huge is None and pace is None:
            return web.json_response(answer, status=status)
        if huge is not None:
            size, chunks = _padded(answer, huge)
        else:
            body = json.dumps(answer).encode()
            size, chunks = len(body), iter((body,))
        response = web.StreamResponse(status=status)
        response.content_type = "application/json"
        response.content_length = size
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for chunk in chunks:
                if pace is None:
                    await response.write(chunk)
                    continue
                step = max(1, int(pace * _TRICKLE_TICK_S))
                for start in range(0, len(chunk), step):
                    await response.write(chunk[start : start + step])
                    await self.sb.wait(step / pace)
                    if self.sb.stopping:
                        return response
            await response.write_eof()
        return response
