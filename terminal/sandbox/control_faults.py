"""``/control/faults``: switch the sandbox's faults on and off over JSON.

``POST /control/faults`` takes one object; every key is optional and they apply in this order:

==================================================================  ===============================
body                                                                does
==================================================================  ===============================
``{"clear": true}``                                                 every fault off, network up,
                                                                    prices fresh
``{"latency": 0.05}``                                               every HTTP answer that late (s)
``{"timeoutHold": 5}``                                              how long "timeout" and
                                                                    ``holdPayment`` hold (s)
``{"failNext": {"n": 2, "kind": "500"|"429"|"timeout",``            the next n HTTP requests fail
``"operation": "lnInvoicePaymentSend", "execute": false}}``         (``execute``: run, lose answer)
``{"loseEvents": true | false | SECONDS}``                          publish nothing (prices too)
``{"dropEvents": {"paymentHash": H}}``                              lose every event about H
``{"dropEvents": {"subscription": "myUpdates"|"status"}}``          lose one kind's events
``{"dropEvents": {"clear": true}}``                                 stop dropping events
``{"blackout": SECONDS | true | false}``                            no ``next`` message at all
``{"failSubscription": {"operation": "myUpdates",``                 the next such subscribe fails
``"with": "error"|"complete"|"close4500"}}``
``{"tamper": {"operation": "LnInvoiceCreate", "amountSats": N}}``   next invoice's BOLT11 is for N
``{"tamper": {"operation": "LnInvoiceCreateOnBehalfOfRecipient",``  next on-behalf invoice pays
``"payee": "staff_tips"}}``                                         that account instead
``{"trickle": {"n": N, "bytesPerSecond": B}}``                      next N answers at B bytes/s
``{"hugeAnswer": {"n": N, "bytes": B}}``                            next N answers padded to B bytes
``{"holdPayment": {"seconds": S}}``                                 next pay request: no answer,
                                                                    carried out S seconds later
``{"network": {"http": "up"|"down", "ws": "up"|"down"}}``           a half of the network down/up
``{"stalePrices": true | false}``                                   the price service stops/resumes
``{"dropSockets": true}``                                           cut every socket now
==================================================================  ===============================

The answer is ``{"faults": <GET /control/faults>, "dropped": <sockets cut>, "cut": <live
connections cut by "network">}``; a malformed request is a 400 with ``{"error": "..."}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terminal.errors import ConfigError

if TYPE_CHECKING:
    from terminal.sandbox.server import Sandbox

BAD_REQUEST = (ConfigError, KeyError, TypeError, ValueError, AttributeError)


def _on_off_or_seconds(value: object) -> bool | float:
    return value if isinstance(value, bool) else float(value)  # type: ignore[arg-type]


def _up(value: object, half: str) -> bool | None:
    if value is None:
        return None
    if value not in ("up", "down"):
        raise ValueError(f'network {half} must be "up" or "down"')
    return value == "up"


def apply_faults(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a ``POST /control/faults`` body; the answer. Raises one of ``BAD_REQUEST``."""
    faults = sandbox.faults
    if body.get("clear"):
        faults.clear()
        sandbox.prices.set_stale(False)
    if "latency" in body:
        faults.latency = float(body["latency"])
    if "timeoutHold" in body:
        faults.timeout_hold = float(body["timeoutHold"])
    if "loseEvents" in body:
        faults.lose_events(_on_off_or_seconds(body["loseEvents"]))
    if "failNext" in body:
        spec = body["failNext"]
        faults.fail_next(
            int(spec.get("n", 1)),
            str(spec["kind"]),
            spec.get("operation"),
            bool(spec.get("execute", False)),
        )
    _events(sandbox, body)
    _http(sandbox, body)
    cut = 0
    if "network" in body:
        spec = body["network"]
        cut = faults.set_network(_up(spec.get("http"), "http"), _up(spec.get("ws"), "ws"))
    if "stalePrices" in body:
        sandbox.prices.set_stale(bool(body["stalePrices"]))
    dropped = faults.drop_sockets() if body.get("dropSockets") else 0
    return {"faults": describe(sandbox), "dropped": dropped, "cut": cut}


def _events(sandbox: Sandbox, body: dict[str, Any]) -> None:
    faults = sandbox.faults
    if "dropEvents" in body:
        spec = body["dropEvents"]
        if spec.get("clear"):
            faults.stop_dropping_events()
        faults.drop_events(spec.get("paymentHash"), spec.get("subscription"))
    if "blackout" in body:
        faults.blackout(_on_off_or_seconds(body["blackout"]))
    if "failSubscription" in body:
        spec = body["failSubscription"]
        faults.fail_subscription(str(spec["operation"]), str(spec["with"]))


def _http(sandbox: Sandbox, body: dict[str, Any]) -> None:
    faults = sandbox.faults
    if "tamper" in body:
        spec = body["tamper"]
        payee = spec.get("payee")
        if payee is not None and payee not in sandbox.ledger.accounts:
            raise ValueError(f"tamper payee {payee!r} is not a sandbox account")
        amount = spec.get("amountSats")
        faults.tamper(str(spec["operation"]), None if amount is None else int(amount), payee)
    if "trickle" in body:
        spec = body["trickle"]
        faults.trickle(int(spec.get("n", 1)), float(spec["bytesPerSecond"]))
    if "hugeAnswer" in body:
        spec = body["hugeAnswer"]
        faults.huge_answer(int(spec.get("n", 1)), int(spec["bytes"]))
    if "holdPayment" in body:
        faults.hold_payment(float(body["holdPayment"]["seconds"]))


def describe(sandbox: Sandbox) -> dict[str, Any]:
    """``GET /control/faults``: every fault now, and whether prices are stale."""
    return {**sandbox.faults.describe(), "stalePrices": sandbox.prices.stale}
