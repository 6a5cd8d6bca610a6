"""The payout guard: the terminal pays only the merchant invoice it journaled for the sale.

A stolen terminal (or a corrupted journal, or a confused caller) must not be able to spend the
BlinkPOS wallet on anything else. So before every pay request the invoice is decoded *locally*
and checked against the journal: it is this sale's current merchant invoice, its amount is
exactly the sale's, its hash is the journaled hash, and it does not expire before the payment can
settle. No network, no clock of its own: pure.
"""

from __future__ import annotations

from terminal.blink.invoice import DecodedInvoice, decode_invoice
from terminal.errors import MalformedAnswer, PayoutGuardError
from terminal.money.sale import Sale, SaleState

# An invoice this close to its expiry might expire while the payment is in flight.
EXPIRY_MARGIN_SECONDS = 60.0


def check_payout(
    sale: Sale, payment_request: str, *, now: float, margin: float = EXPIRY_MARGIN_SECONDS
) -> DecodedInvoice:
    """Return the decoded invoice if paying it settles exactly this sale; else PayoutGuardError."""
    if sale.state is not SaleState.RECEIVED:
        raise PayoutGuardError(
            f"sale {sale.id} is {sale.state.value}, not paid: the terminal pays a merchant "
            "only for a sale the customer has paid"
        )
    merchant = sale.merchant
    if merchant is None or payment_request != merchant.request:
        raise PayoutGuardError(
            f"sale {sale.id}: that invoice is not the merchant invoice journaled for it; "
            "the terminal pays only invoices it created itself"
        )
    try:
        decoded = decode_invoice(payment_request)
    except MalformedAnswer as exc:
        raise PayoutGuardError(
            f"sale {sale.id}: its merchant invoice cannot be decoded ({exc}); "
            "the sale needs checking by hand"
        ) from exc
    if decoded.amount_sats != sale.amount_sats:
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice is for {decoded.amount_sats} sats but the "
            f"sale is {sale.amount_sats} sats; refusing to pay it"
        )
    if decoded.payment_hash.lower() != merchant.hash.lower():
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice's hash differs from the journaled one; "
            "refusing to pay it"
        )
    if decoded.expires_at - now < margin:
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice expires in {decoded.expires_at - now:.0f} s; "
            "it must be replaced before it is paid"
        )
    return decoded
