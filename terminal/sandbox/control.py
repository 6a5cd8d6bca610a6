"""The sandbox's control endpoint: pay, faults, clock, prices, stats, ledger and accounts.

Demo scripts and process-level tests drive the sandbox with it. The control endpoint itself is
never subject to faults (a "network down" cuts ``/graphql`` only). Routes:

- ``POST /control/pay`` ``{"latest": true}`` or ``{"paymentRequest": "lnbc..."}``, optionally
  ``"payer": "<username>"`` (default ``customer``) or ``"external": true`` (a wallet outside
  Blink, paying over Lightning: refused once the invoice has expired, unlike a Blink payer).
  Answers ``{"status", "paymentHash"}`` or ``{"status", "errors"}``.
- ``GET``/``POST /control/faults``: see :mod:`terminal.sandbox.control_faults`.
- ``POST /control/clock`` ``{"advance": SECONDS}``: move the sandbox's clock (expiries, the
  ``Date`` header, price timestamps); answers ``{"offset", "now"}``.
- ``GET /control/prices``: ``{"stale": bool, "currencies": {CODE: {"fractionDigits",
  "btcSatPrice": {"base", "offset"}, "timestamp"}}}``.
  ``POST /control/prices`` ``{"currency": "EUR", "fiatPerBtc": 95000.0}`` or
  ``{"currency": "EUR", "btcSatPrice": {"base": ..., "offset": ...}}`` moves a rate; a currency
  not listed yet is added when the body also gives ``"fractionDigits"`` (and optionally
  ``"symbol"``, ``"name"``); ``{"stalePrices": true|false}`` stops or resumes the price service.
- ``GET /control/stats``: ``{"http": {OPERATION: n}, "httpTotal": n, "wsConnections": n,
  "subscriptions": {OPERATION: n}}``; ``POST /control/stats`` ``{"clear": true}`` resets it.
- ``GET /control/ledger``: payments, pay requests, invoices and balances.
- ``GET /control/accounts``: ``{USERNAME: {"BTC": wallet id, "USD": wallet id}}``;
  ``POST /control/accounts`` ``{"username": "merchant", "displayCurrency": "EUR"}`` sets what
  the account's app displays (its ``myUpdates`` prices follow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from terminal.sandbox.control_faults import BAD_REQUEST, apply_faults, describe
from terminal.sandbox.prices import Currency, UnknownCurrency, realtime_price

if TYPE_CHECKING:
    from terminal.sandbox.server import Sandbox


def add_control_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Serve ``/control/*`` for ``sandbox``."""
    _Control(sandbox).add_routes(app)


class _Control:
    """The route handlers, one method each."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    def add_routes(self, app: web.Application) -> None:
        """Register every route."""
        app.router.add_post("/control/pay", self.pay)
        for path, handler in (
            ("/control/faults", self.faults),
            ("/control/prices", self.prices),
            ("/control/stats", self.stats),
            ("/control/accounts", self.accounts),
        ):
            app.router.add_post(path, handler)
            app.router.add_get(path, handler)
        app.router.add_post("/control/clock", self.clock)
        app.router.add_get("/control/ledger", self.ledger)

    async def pay(self, request: web.Request) -> web.Response:
        """``POST /control/pay``: pay an invoice as a customer would."""
        body = await _json(request)
        external = bool(body.get("external"))
        payer = str(body.get("payer", "customer"))
        latest = None
        if body.get("latest"):
            latest = self.sb.ledger.newest_pending("blinkpos")
            if latest is None:
                return _bad("no PENDING invoice on the blinkpos account: create one first", 404)
            request_text: object = latest.payment_request
        else:
            request_text = body.get("paymentRequest")
        if not isinstance(request_text, str):
            return _bad('send {"paymentRequest": "lnbc..."} or {"latest": true}')
        if external:
            result = self.sb.ledger.pay_external(request_text)
        elif payer in self.sb.ledger.accounts:
            result = self.sb.ledger.pay(self.sb.wallet_id(payer), request_text)
        else:
            return _bad(f"no sandbox account {payer!r}")
        errors = [{"message": e.blink_message, "code": e.code} for e in result.errors]
        answer: dict[str, Any] = {"status": result.status, "errors": errors}
        if latest is not None:
            answer = {"status": result.status, "paymentHash": latest.payment_hash}
        return web.json_response(answer)

    async def faults(self, request: web.Request) -> web.Response:
        """``/control/faults``: see :mod:`terminal.sandbox.control_faults`."""
        if request.method == "GET":
            return web.json_response({"faults": describe(self.sb)})
        try:
            return web.json_response(apply_faults(self.sb, await _json(request)))
        except BAD_REQUEST as exc:
            return _bad(f"bad fault request: {exc}")

    async def clock(self, request: web.Request) -> web.Response:
        """``POST /control/clock``: move the sandbox's clock forward."""
        body = await _json(request)
        try:
            self.sb.clock.advance(float(body.get("advance", 0)))
        except (TypeError, ValueError):
            return _bad('send {"advance": seconds}')
        return web.json_response({"offset": self.sb.clock.offset, "now": self.sb.clock.now()})

    async def prices(self, request: web.Request) -> web.Response:
        """``/control/prices``: the rates, or move one."""
        if request.method == "POST":
            try:
                _move_price(self.sb, await _json(request))
            except (*BAD_REQUEST, UnknownCurrency) as exc:
                return _bad(f"bad price request: {exc}")
        board = self.sb.prices
        listed: dict[str, Any] = {}
        for currency in board.currencies():
            shown = realtime_price(board.quote(currency.code))
            listed[currency.code] = {
                "fractionDigits": currency.fraction_digits,
                "btcSatPrice": {k: shown["btcSatPrice"][k] for k in ("base", "offset")},
                "timestamp": shown["timestamp"],
            }
        return web.json_response({"stale": board.stale, "currencies": listed})

    async def stats(self, request: web.Request) -> web.Response:
        """``/control/stats``: what was served, or reset the counters."""
        if request.method == "POST" and (await _json(request)).get("clear"):
            self.sb.stats.clear()
        return web.json_response(self.sb.stats.describe())

    async def ledger(self, _request: web.Request) -> web.Response:
        """``GET /control/ledger``: payments, pay requests, invoices, balances."""
        book = self.sb.ledger
        return web.json_response(
            {
                "payments": [vars(p) for p in book.payments],
                "payRequests": [r._asdict() for r in book.pay_requests],
                "invoices": [
                    {
                        "paymentHash": inv.payment_hash,
                        "walletId": inv.wallet_id,
                        "amount": inv.amount,
                        "externalId": inv.external_id,
                        "status": book.status(inv),
                    }
                    for inv in book.invoices.values()
                ],
                "balances": {name: self.sb.balance(name) for name in book.accounts},
            }
        )

    async def accounts(self, request: web.Request) -> web.Response:
        """``/control/accounts``: wallet ids, or set a display currency."""
        if request.method == "POST":
            body = await _json(request)
            account = self.sb.ledger.accounts.get(str(body.get("username")))
            if account is None:
                return _bad('send {"username": "<a sandbox account>", "displayCurrency": "EUR"}')
            try:
                code = self.sb.prices.currency(str(body["displayCurrency"])).code
            except (KeyError, UnknownCurrency):
                return _bad("displayCurrency must be a listed currency (GET /control/prices)")
            account.display_currency = code
            return web.json_response({"username": account.username, "displayCurrency": code})
        return web.json_response(
            {
                name: {w.currency: w.id for w in account.wallets}
                for name, account in self.sb.ledger.accounts.items()
            }
        )


def _move_price(sandbox: Sandbox, body: dict[str, Any]) -> None:
    board = sandbox.prices
    if "stalePrices" in body:
        board.set_stale(bool(body["stalePrices"]))
    if "currency" not in body:
        return
    code = str(body["currency"])
    if code not in {c.code for c in board.currencies()}:
        if "fractionDigits" not in body or "fiatPerBtc" not in body:
            raise UnknownCurrency(f"{code}: to list it, give fractionDigits and fiatPerBtc")
        symbol = str(body.get("symbol", code))
        currency = Currency(code, symbol, str(body.get("name", code)), int(body["fractionDigits"]))
        board.add(currency, float(body["fiatPerBtc"]))
    elif "fiatPerBtc" in body:
        board.set_fiat_per_btc(code, float(body["fiatPerBtc"]))
    else:
        price = body["btcSatPrice"]
        board.set_sat_price(code, int(price["base"]), int(price["offset"]))


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
