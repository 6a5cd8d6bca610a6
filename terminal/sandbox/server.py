"""The sandbox server: Blink's HTTP and WebSocket API, and a control endpoint, on one port."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from graphql import GraphQLError

from terminal.config_table import is_loopback
from terminal.errors import ConfigError
from terminal.sandbox import shapes
from terminal.sandbox.api import PRICE_CHANNEL, BlinkApi, Caller, root_fields
from terminal.sandbox.control import add_control_routes
from terminal.sandbox.faults import Faults, HttpFault
from terminal.sandbox.hub import Hub
from terminal.sandbox.ledger import Clock, Invoice, Ledger, Transaction
from terminal.sandbox.ws import KEEPALIVE_S, SUBPROTOCOL, GraphqlWsSession

log = logging.getLogger(__name__)
T = TypeVar("T")

CUSTOMER_FUNDS = 100_000_000
KEY_NAMES = ("blinkpos", "merchant", "customer", "blinkpos_receive_only", "blinkpos_read_only")


def require_loopback(host: str) -> None:
    """Refuse any address but loopback: the sandbox hands out spendable-looking keys."""
    if not is_loopback(host):
        raise ConfigError("sandbox host", f"{host} is not a loopback address", "use 127.0.0.1")


class Sandbox:
    """A local Blink: accounts, keys, invoices, payments, sockets and faults on demand."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        price_interval: float = 30.0,
        init_timeout: float = 3.0,
    ) -> None:
        require_loopback(host)
        self.host = host
        self.port = port
        self.price_interval = price_interval
        self.init_timeout = init_timeout
        self.clock = Clock()
        self.faults = Faults()
        self.hub = Hub(self.faults)
        self.ledger = Ledger(self.clock)
        self.api = BlinkApi(self.ledger, self.hub)
        self.keys: dict[str, str] = {}
        self._sockets: dict[web.WebSocketResponse, web.Request] = {}
        self._runner: web.AppRunner | None = None
        self._price_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._open_accounts()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.clock.on_advance(lambda: self._in_loop(self.hub.tick))
        self.ledger.on_settled.append(
            lambda invoice, tx: self._in_loop(lambda: self._publish_settlement(invoice, tx))
        )
        self.faults.bind_dropper(lambda: self._in_loop(self._drop_sockets))

    def _open_accounts(self) -> None:
        self.ledger.add_account("blinkpos")
        self.ledger.add_account("merchant")
        self.ledger.add_account("customer", CUSTOMER_FUNDS)
        grants = {
            "blinkpos": ("blinkpos", {"READ", "RECEIVE", "WRITE"}),
            "merchant": ("merchant", {"READ"}),
            "customer": ("customer", {"READ", "WRITE"}),
            "blinkpos_receive_only": ("blinkpos", {"RECEIVE"}),
            "blinkpos_read_only": ("blinkpos", {"READ"}),
        }
        for name, (username, scopes) in grants.items():
            self.keys[name] = self.ledger.add_key(name, username, scopes).value

    # lifecycle

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one) and start the price ticker."""
        self._stopping = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        app = web.Application()
        app.router.add_post("/graphql", self._http)
        app.router.add_get("/graphql", self._ws)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        if self.port == 0 and server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self._price_task = asyncio.create_task(self._tick_prices())
        log.info("sandbox listening on %s", self.http_url)

    async def stop(self) -> None:
        """Close every socket and the listener."""
        self._stopping.set()
        if self._price_task:
            self._price_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._price_task
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"sandbox stopping")
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def http_url(self) -> str:
        """Where HTTP GraphQL is served."""
        return f"http://{self.host}:{self.port}/graphql"

    @property
    def ws_url(self) -> str:
        """Where the ``graphql-transport-ws`` socket is served."""
        return f"ws://{self.host}:{self.port}/graphql"

    @property
    def control_url(self) -> str:
        """The control endpoint's base URL."""
        return f"http://{self.host}:{self.port}/control"

    # test helpers

    def wallet_id(self, username: str, currency: str = "BTC") -> str:
        """The id of ``username``'s ``currency`` wallet."""
        return self.ledger.wallet_of(username, currency).id

    def balance(self, username: str) -> int:
        """``username``'s BTC balance in sats."""
        return self.ledger.wallet_of(username).balance

    def write_keys(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write each key to ``<name>.key`` (mode 0600) in ``directory``; return the paths."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, value in self.keys.items():
            path = folder / f"{name}.key"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(value + "\n")
            path.chmod(0o600)
            paths[name] = path
        return paths

    async def pay(self, payment_request: str, payer: str = "customer") -> str:
        """Pay as ``payer``'s wallet app would; return the PaymentSendResult status."""
        result = self.ledger.pay(self.wallet_id(payer), payment_request)
        return result.status

    def pay_latest(self, payer: str = "customer") -> tuple[Invoice | None, str]:
        """Pay the newest PENDING invoice of the BlinkPOS account (the demo's customer)."""
        invoice = self.ledger.newest_pending("blinkpos")
        if invoice is None:
            return None, "NO_PENDING_INVOICE"
        result = self.ledger.pay(self.wallet_id(payer), invoice.payment_request)
        return invoice, result.status

    def _in_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the sandbox's loop thread (tests may poke from another thread)."""
        loop = self._loop
        if loop is None or self._loop_thread == threading.get_ident() or loop.is_closed():
            return fn()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except Exception as exc:  # handed to the calling thread
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout=10.0)

    # events

    def _publish_settlement(self, invoice: Invoice, received: Transaction) -> None:
        self.hub.publish(f"invoice:{invoice.payment_hash}", "PAID")
        receiver = self.ledger.wallet(invoice.wallet_id)
        if receiver is not None:
            # §4.8: LnUpdate to the receiver only; the payer's socket hears nothing.
            self.hub.publish(
                f"account:{receiver.username}", shapes.ln_update(self.ledger, invoice, received)
            )

    async def _tick_prices(self) -> None:
        while True:
            await asyncio.sleep(self.price_interval)
            self.hub.publish(PRICE_CHANNEL, shapes.price(self.clock, "USD"))

    def _drop_sockets(self) -> int:
        count = 0
        for ws, request in list(self._sockets.items()):
            transport = request.transport
            if transport is not None:
                transport.abort()  # no close frame: looks like a dead network to the client
                count += 1
            self._sockets.pop(ws, None)
        return count

    # transports

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), heartbeat=KEEPALIVE_S)
        await ws.prepare(request)
        self._sockets[ws] = request
        try:
            await GraphqlWsSession(ws, self.api, self.ledger, self.init_timeout).run()
        finally:
            self._sockets.pop(ws, None)
        return ws

    async def _http(self, request: web.Request) -> web.StreamResponse:
        if self.faults.latency > 0:
            await self._wait(self.faults.latency)
        try:
            body = await request.json()
            query = body["query"]
            assert isinstance(query, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return web.json_response(
                {"errors": [{"message": "POST body must be JSON with a query string"}]}, status=400
            )
        variables = body.get("variables") or None
        op_name = body.get("operationName") or None
        document, errors = self.api.parse(query)
        operations = {op_name} if op_name else set()
        if document is not None:
            operations |= root_fields(document, op_name)[1]
        fault = self.faults.take(operations)
        if fault is not None and not fault.execute:
            return await self._fail(request, fault)
        raw_key = request.headers.get("X-API-KEY")
        caller = Caller()
        if raw_key is not None:
            key = self.ledger.keys.get(raw_key)
            if key is None:
                # §1: Oathkeeper refuses an unknown key before GraphQL runs.
                return web.json_response(
                    {
                        "error": {
                            "code": 401,
                            "status": "Unauthorized",
                            "message": "Access credentials are invalid",
                        }
                    },
                    status=401,
                )
            caller = Caller(key)
        answer = self._run(document, errors, variables, op_name, caller)
        if fault is not None:
            return await self._fail(request, fault)
        return web.json_response(answer)

    def _run(
        self,
        document: Any,
        errors: list[GraphQLError],
        variables: dict[str, Any] | None,
        op_name: str | None,
        caller: Caller,
    ) -> dict[str, Any]:
        if document is None:
            return {"errors": [_http_error(e) for e in errors]}
        kind, _names = root_fields(document, op_name)
        if kind == "subscription":
            return {"errors": [{"message": "Subscriptions are served on the WebSocket endpoint"}]}
        result = self.api.execute(document, variables, op_name, caller)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_http_error(e) for e in result.errors]
        return answer

    async def _fail(self, request: web.Request, fault: HttpFault) -> web.StreamResponse:
        if fault.kind == "429":
            return web.Response(
                status=429,
                text="<html><body><h1>429 Too Many Requests</h1></body></html>",
                content_type="text/html",
                headers={"Retry-After": str(self.faults.retry_after)},
            )
        if fault.kind == "500":
            return web.json_response(
                {"errors": [{"message": "Internal server error", "code": "UNKNOWN_CLIENT_ERROR"}]},
                status=500,
            )
        await self._wait(self.faults.timeout_hold)
        if request.transport is not None:
            request.transport.abort()
        # The connection is gone; aiohttp drops an answer written to an aborted transport.
        return web.Response(status=504)

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _http_error(error: GraphQLError) -> dict[str, Any]:
    """An error as Blink's core ``formatError`` shows it: ``code`` top-level and in extensions."""
    shaped: dict[str, Any] = dict(error.formatted)
    code = (error.extensions or {}).get("code")
    if code:
        shaped["code"] = code
    return shaped
