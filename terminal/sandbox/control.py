"""The sandbox's control endpoint: pay, faults, clock, ledger and accounts over JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from terminal.errors import ConfigError

if TYPE_CHECKING:
    from terminal.sandbox.server import Sandbox


def add_control_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Serve ``/control/*`` for ``sandbox`` (demo scripts and subprocess tests use it)."""

    async def pay(request: web.Request) -> web.Response:
        body = await _json(request)
        payer = str(body.get("payer", "customer"))
        if body.get("latest"):
            invoice, status = sandbox.pay_latest(payer)
            if invoice is None:
                return web.json_response(
                    {"error": "no PENDING invoice on the blinkpos account: create one first"},
                    status=404,
                )
            return web.json_response({"status": status, "paymentHash": invoice.payment_hash})
        request_text = body.get("paymentRequest")
        if not isinstance(request_text, str):
            return web.json_response(
                {"error": 'send {"paymentRequest": "lnbc..."} or {"latest": true}'}, status=400
            )
        result = sandbox.ledger.pay(sandbox.wallet_id(payer), request_text)
        errors = [{"message": e.blink_message, "code": e.code} for e in result.errors]
        return web.json_response({"status": result.status, "errors": errors})

    async def faults(request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            if body.get("clear"):
                sandbox.faults.clear()
            if "latency" in body:
                sandbox.faults.latency = float(body["latency"])
            if "timeoutHold" in body:
                sandbox.faults.timeout_hold = float(body["timeoutHold"])
            if "loseEvents" in body:
                value = body["loseEvents"]
                sandbox.faults.lose_events(value if isinstance(value, bool) else float(value))
            if "failNext" in body:
                spec = body["failNext"]
                sandbox.faults.fail_next(
                    int(spec.get("n", 1)),
                    str(spec["kind"]),
                    spec.get("operation"),
                    bool(spec.get("execute", False)),
                )
            dropped = sandbox.faults.drop_sockets() if body.get("dropSockets") else 0
        except (ConfigError, KeyError, TypeError, ValueError, AttributeError) as exc:
            return web.json_response({"error": f"bad fault request: {exc}"}, status=400)
        return web.json_response({"faults": sandbox.faults.describe(), "dropped": dropped})

    async def clock(request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            sandbox.clock.advance(float(body.get("advance", 0)))
        except (TypeError, ValueError):
            return web.json_response({"error": 'send {"advance": seconds}'}, status=400)
        return web.json_response({"offset": sandbox.clock.offset, "now": sandbox.clock.now()})

    async def ledger(_request: web.Request) -> web.Response:
        book = sandbox.ledger
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
                "balances": {name: sandbox.balance(name) for name in book.accounts},
            }
        )

    async def accounts(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                name: {w.currency: w.id for w in account.wallets}
                for name, account in sandbox.ledger.accounts.items()
            }
        )

    app.router.add_post("/control/pay", pay)
    app.router.add_post("/control/faults", faults)
    app.router.add_get("/control/faults", faults)
    app.router.add_post("/control/clock", clock)
    app.router.add_get("/control/ledger", ledger)
    app.router.add_get("/control/accounts", accounts)


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
