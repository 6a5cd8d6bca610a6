"""Finding an invoice by hash or request, and the top-level errors Blink answers when it cannot."""

from __future__ import annotations

import re

from graphql import GraphQLError

from terminal.errors import BlinkRejected
from terminal.sandbox.ledger import Invoice, Ledger

PAYMENT_HASH = re.compile(r"^[0-9a-f]{64}$")


def top_error(message: str, code: str) -> GraphQLError:
    """A top-level GraphQL error carrying Blink's ``code`` in its extensions."""
    return GraphQLError(message, extensions={"code": code})


def valid_hash(payment_hash: object) -> str:
    """The hash if it is 64 lowercase hex digits; a top-level error otherwise."""
    if not isinstance(payment_hash, str) or not PAYMENT_HASH.match(payment_hash):
        raise top_error("Invalid value for PaymentHash", "INVALID_INPUT")
    return payment_hash


def find_by_hash(ledger: Ledger, payment_hash: object) -> Invoice:
    """The invoice with that hash; a top-level error for a malformed or unknown one."""
    invoice = ledger.invoices.get(valid_hash(payment_hash))
    if invoice is None:
        raise top_error("Invoice not found", "NOT_FOUND")
    return invoice


def decodable_request(payment_request: object) -> str:
    """The request if it decodes as BOLT11; a top-level error otherwise."""
    from terminal.sandbox.invoices import payment_hash_of

    text = str(payment_request)
    try:
        payment_hash_of(text)
    except BlinkRejected as exc:
        raise top_error(exc.blink_message, exc.code or "INVOICE_DECODE_ERROR") from exc
    return text


def find_by_request(ledger: Ledger, payment_request: object) -> Invoice:
    """The invoice behind a BOLT11; a top-level error for an undecodable or unknown one."""
    invoice = ledger.invoice_by_request(decodable_request(payment_request))
    if invoice is None:
        raise top_error("Invoice not found", "NOT_FOUND")
    return invoice
