"""The sandbox server: Blink's HTTP and WebSocket API, and a control endpoint, on one port."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from terminal.config_table import is_loopback
from terminal.errors import ConfigError
from terminal.sandbox import shapes
from terminal.sandbox.api import BlinkApi
from terminal.sandbox.clock import Clock
from terminal.sandbox.control import add_control_routes
from terminal.sandbox.faults import Faults
from terminal.sandbox.http_endpoint import HttpEndpoint
from terminal.sandbox.hub import PRICE_TICK, Hub
from terminal.sandbox.ledger import Invoice, Ledger, Transaction
from terminal.sandbox.prices import PriceBoard
from terminal.sandbox.stats import Stats
from terminal.sandbox.subscriptions import account_channel, invoice_channel, price_channel
from terminal.sandbox.ws import (
    AUTH_LOOKUP_S,
    KEEPALIVE_S,
    SUBPROTOCOL,
    GraphqlWsSession,
    SocketTimings,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

CUSTOMER_FUNDS = 100_000_000
# A Blink username allows letters, digits and "_" only, so the tip recipient is "staff_tips".
TIP_RECIPIENT = "staff_tips"
KEY_NAMES = (
    "blinkpos",
    "merchant",
    "customer",
    "blinkpos_receive_only",
    "blinkpos_read_only",
    TIP_RECIPIENT,
)


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
        keepalive: float = KEEPALIVE_S,
        auth_lookup: float = AUTH_LOOKUP_S,
    ) -> None:
        require_loopback(host)
        self.host = host
        self.port = port
        self.price_interval = price_interval
        self.timings = SocketTimings(init_timeout, keepalive, auth_lookup)
        self.clock = Clock()
        self.faults = Faults()
        self.stats = Stats()
        self.hub = Hub(self.faults)
        self.ledger = Ledger(self.clock)
        self.prices = PriceBoard(self.clock)
        self.api = BlinkApi(self.ledger, self.hub, self.prices, self.faults)
        self.http = HttpEndpoint(self)
        self.keys: dict[str, str] = {}
        self._sockets: dict[web.WebSocketResponse, GraphqlWsSession] = {}
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
        self.faults.bind_dropper(
            lambda: self._in_loop(self._drop_sockets), lambda: self._in_loop(self.http.cut)
        )

    def _open_accounts(self) -> None:
        self.ledger.add_account("blinkpos")
        self.ledger.add_account("merchant")
        self.ledger.add_account("customer", CUSTOMER_FUNDS)
        self.ledger.add_account(TIP_RECIPIENT)
        grants = {
            "blinkpos": ("blinkpos", {"READ", "RECEIVE", "WRITE"}),
            "merchant": ("merchant", {"READ"}),
            "customer": ("customer", {"READ", "WRITE"}),
            "blinkpos_receive_only": ("blinkpos", {"RECEIVE"}),
            "blinkpos_read_only": ("blinkpos", {"READ"}),
            TIP_RECIPIENT: (TIP_RECIPIENT, {"READ"}),
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
        app.on_response_prepare.append(self._date_header)
        app.router.add_post("/graphql", self.http.handle)
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
        """Close every socket with 1001 "Going away" (as graphql-ws does), then the listener."""
        self._stopping.set()
        self.http.cancel_held()
        if self._price_task:
            self._price_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._price_task
        closing = [ws.close(code=1001, message=b"Going away") for ws in list(self._sockets)]
        await asyncio.gather(*closing, return_exceptions=True)
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

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` has begun."""
        return self._stopping.is_set()

    async def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the sandbox stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

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
        payment_hash = invoice.payment_hash
        if not self.faults.drops("status", payment_hash):
            self.hub.publish(invoice_channel(payment_hash), "PAID")
        receiver = self.ledger.wallet(invoice.wallet_id)
        if receiver is not None and not self.faults.drops("myUpdates", payment_hash):
            # §4.8: LnUpdate to the receiver only; the payer's socket hears nothing.
            update = shapes.ln_update(self.ledger, invoice, received)
            self.hub.publish(account_channel(receiver.username), update)

    async def _tick_prices(self) -> None:
        while True:
            await asyncio.sleep(self.price_interval)
            self.stats.price_rounds += 1
            if not self.prices.stale:  # a stopped price service publishes nothing
                self.stats.price_ticks += 1
                for currency in self.prices.currencies():
                    self.hub.publish(price_channel(currency.code), PRICE_TICK)

    def _drop_sockets(self) -> int:
        count = 0
        for ws, session in list(self._sockets.items()):
            session.terminate()  # no close frame: looks like a dead network to the client
            count += 1
            self._sockets.pop(ws, None)
        return count

    async def _date_header(self, _request: web.Request, response: web.StreamResponse) -> None:
        # Blink's Date, by which the terminal ages a price without trusting its own clock.
        response.headers["Date"] = formatdate(self.clock.now(), usegmt=True)

    # transports

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if not self.faults.ws_up:
            return self.http.reset(request)
        # autoping off: the session answers pings itself and counts pongs (see ws.py).
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), autoping=False)
        await ws.prepare(request)
        self.stats.count_ws()
        session = GraphqlWsSession(
            ws,
            request,
            self.api,
            self.ledger,
            self.faults,
            self.stats,
            self.timings,
        )
        self._sockets[ws] = session
        try:
            await session.run()
        finally:
            self._sockets.pop(ws, None)
        return ws
