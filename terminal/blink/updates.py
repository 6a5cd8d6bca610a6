"""Pure parsers from subscription payloads (the ``next`` frames) to frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import prices
from .answers import error_infos
from .models import InvoiceStatus, Price


@dataclass(frozen=True)
class LnPaid:
    """A Lightning invoice of this account was paid (``myUpdates`` LnUpdate, status PAID).

    ``currency`` is the receiving wallet's (``settlementCurrency``); ``amount_sats`` is what it
    received, and None unless that is a BTC wallet and the amount is a positive whole number.
    Compare it with the sale's before trusting the payment's size.
    """

    payment_hash: str
    amount_sats: int | None
    external_id: str | None
    currency: str | None = None


@dataclass(frozen=True)
class PriceTick:
    """A price update: a sign that the socket is alive, and the price (None if unreadable)."""

    timestamp: int | None
    price: Price | None = None


@dataclass(frozen=True)
class OtherUpdate:
    """An update the terminal does not act on (on-chain, intraledger, outgoing...)."""

    kind: str


@dataclass(frozen=True)
class UpdateError:
    """A payload that carried errors, or that could not be understood."""

    message: str


@dataclass(frozen=True)
class InvoiceStatusUpdate:
    """The status subscription's news about one invoice."""

    payment_hash: str
    status: InvoiceStatus


MyUpdate = LnPaid | PriceTick | OtherUpdate | UpdateError


def errors_message(payload: Mapping[str, Any] | object) -> str | None:
    """The first error message in ``payload["errors"]`` (redacted), or None if there are none."""
    if not isinstance(payload, Mapping):
        return None
    errors = payload.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    infos = error_infos(errors[:1])
    return infos[0].message if infos else "an error without a message"


def _data_field(payload: Mapping[str, Any], name: str | None) -> Mapping[str, Any] | None:
    data = payload.get("data")
    if not isinstance(data, Mapping):
        return None
    if name is None:
        values = [v for v in data.values() if isinstance(v, Mapping)]
        return values[0] if len(values) == 1 else None
    value = data.get(name)
    return value if isinstance(value, Mapping) else None


def parse_my_update(payload: Mapping[str, Any]) -> MyUpdate:
    """One ``myUpdates`` payload as LnPaid, PriceTick, OtherUpdate or UpdateError."""
    top_error = errors_message(payload)
    if top_error is not None:
        return UpdateError(top_error)
    body = _data_field(payload, "myUpdates")
    if body is None:
        return UpdateError("a myUpdates payload without myUpdates")
    inner_error = errors_message(body)
    if inner_error is not None:
        return UpdateError(inner_error)
    update = body.get("update")
    if not isinstance(update, Mapping):
        return UpdateError("a myUpdates payload without an update")
    kind = update.get("__typename")
    if kind == "LnUpdate":
        return _ln_update(update)
    if kind == "RealtimePrice":
        timestamp = update.get("timestamp")
        ok = isinstance(timestamp, int) and not isinstance(timestamp, bool)
        return PriceTick(timestamp if ok else None, prices.realtime_price(update))
    if kind == "Price":
        return PriceTick(None, prices.legacy_price(update))
    if isinstance(kind, str):
        return OtherUpdate(kind[:40])
    return UpdateError("an update without __typename")


def _ln_update(update: Mapping[str, Any]) -> MyUpdate:
    if update.get("status") != "PAID":
        return OtherUpdate("LnUpdate")
    tx = update.get("transaction")
    if not isinstance(tx, Mapping):
        return UpdateError("an LnUpdate without its transaction")
    if tx.get("direction") not in (None, "RECEIVE"):
        return OtherUpdate("LnUpdate")
    via = tx.get("initiationVia")
    payment_hash = via.get("paymentHash") if isinstance(via, Mapping) else None
    if not isinstance(payment_hash, str) or not payment_hash:
        return UpdateError("an LnUpdate without a payment hash")
    currency = tx.get("settlementCurrency")
    amount = tx.get("settlementAmount")
    amount_sats: int | None = None
    if (
        currency == "BTC"
        and isinstance(amount, int)
        and not isinstance(amount, bool)
        and amount > 0
    ):
        amount_sats = amount
    external_id = tx.get("externalId")
    return LnPaid(
        payment_hash=payment_hash.lower(),
        amount_sats=amount_sats,
        external_id=external_id if isinstance(external_id, str) else None,
        currency=currency if isinstance(currency, str) else None,
    )


def parse_invoice_status(payload: Mapping[str, Any]) -> InvoiceStatusUpdate | UpdateError:
    """One status-subscription payload as InvoiceStatusUpdate or UpdateError."""
    top_error = errors_message(payload)
    if top_error is not None:
        return UpdateError(top_error)
    body = _data_field(payload, None)
    if body is None:
        return UpdateError("a status payload without its field")
    inner_error = errors_message(body)
    if inner_error is not None:
        return UpdateError(inner_error)
    payment_hash = body.get("paymentHash")
    if not isinstance(payment_hash, str) or not payment_hash:
        return UpdateError("a status payload without a payment hash")
    raw = body.get("status")
    try:
        status = InvoiceStatus(raw)
    except ValueError:
        return UpdateError("a status payload with an unknown status")
    return InvoiceStatusUpdate(payment_hash=payment_hash.lower(), status=status)
