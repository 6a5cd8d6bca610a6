"""The payout guard: the terminal pays only the merchant invoice it journaled for the sale.

A stolen terminal (or a corrupted journal, a tampered answer, a confused caller) must not be able
to spend the BlinkPOS wallet on anything else. So before every pay request the invoice is
decoded *locally* and checked against the journal: it is this sale's current merchant invoice,
its amount is exactly the sale's (and the customer paid at least that much, where Blink said),
its hash is the journaled hash, it is payable to one of Blink's own nodes (an intraledger
payment: the money stays inside Blink, to a Blink wallet), where the merchant's key is configured
Blink has confirmed it belongs to the merchant's wallet, and it does not expire (on Blink's
clock) before the payment can settle. No network, no clock of its own: pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.blink.invoice import DecodedInvoice, decode_invoice
from terminal.errors import MalformedAnswer, PayoutGuardError
from terminal.money.sale import PayoutRole, Sale, SaleState

# An invoice this close to its expiry might expire while the payment is in flight.
EXPIRY_MARGIN_SECONDS = 60.0


def check_payout(
    sale: Sale,
    payment_request: str,
    *,
    now: float | None,
    margin: float = EXPIRY_MARGIN_SECONDS,
    node_ids: frozenset[str] | None = None,
    require_verified: bool = False,
    role: PayoutRole = PayoutRole.MERCHANT,
) -> DecodedInvoice:
    """Return the decoded invoice if paying it settles exactly this sale's ``role`` payout;
    else PayoutGuardError.

    ``now`` is Blink's time; ``node_ids`` Blink's node keys (``globals.nodesIds``), when known.
    """
    if sale.state is not SaleState.RECEIVED:
        raise PayoutGuardError(
            f"sale {sale.id} is {sale.state.value}, not received: the terminal pays a merchant "
            "only for a sale the customer has paid"
        )
    payout = sale.payout(role)
    merchant = None if payout is None else payout.invoice
    if payout is None or merchant is None or payment_request != merchant.request:
        raise PayoutGuardError(
            f"sale {sale.id}: that invoice is not the merchant invoice journaled for it; "
            "the terminal pays only invoices it created itself"
        )
    decoded = _decode(sale, payment_request)
    if decoded.amount_sats != payout.amount_sats:
        raise PayoutGuardError(
            f"sale {sale.id}: the {role.value} invoice is for {decoded.amount_sats} sats but the "
            f"{role.value} is owed {payout.amount_sats} sats; refusing to pay it"
        )
    if sale.paid_sats is not None and sale.paid_sats < sale.amount_sats:
        raise PayoutGuardError(
            f"sale {sale.id}: Blink says the customer paid {sale.paid_sats} sats of "
            f"{sale.amount_sats}; forwarding the full amount would spend the float"
        )
    if decoded.payment_hash.lower() != merchant.hash.lower():
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice's hash differs from the journaled one; "
            "refusing to pay it"
        )
    if node_ids is not None and decoded.payee.lower() not in node_ids:
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice is payable to a node that is not Blink's; "
            "the terminal pays only Blink wallets"
        )
    if require_verified and not merchant.verified:
        raise PayoutGuardError(
            f"sale {sale.id}: Blink has not confirmed the merchant invoice belongs to the "
            "merchant's wallet; refusing to pay it"
        )
    if now is None:
        raise PayoutGuardError(f"sale {sale.id}: Blink's time is not known yet; ask it first")
    if decoded.expires_at - now < margin:
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice expires in {decoded.expires_at - now:.0f} s; "
            "it must be replaced before it is paid"
        )
    return decoded


def _decode(sale: Sale, payment_request: str) -> DecodedInvoice:
    try:
        return decode_invoice(payment_request)
    except MalformedAnswer as exc:
        raise PayoutGuardError(
            f"sale {sale.id}: its merchant invoice cannot be decoded ({exc}); "
            "the sale needs checking by hand"
        ) from exc


@dataclass(frozen=True)
class Expected:
    """One invoice Blink just made, and what it must be: for whom, how much, which hash."""

    role: str  # "customer's", "merchant's", "tip's": for the message
    amount_sats: int
    request: str
    payment_hash: str


def check_new_invoices(expected: list[Expected], *, node_ids: frozenset[str] | None) -> None:
    """Before the QR is shown: every invoice Blink made is for exactly its amount, carries the
    hash Blink reported, and is payable to Blink's nodes; else PayoutGuardError.

    The QR is the POS invoice's BOLT11 itself, so its amount is what the customer is asked for:
    a JSON ``satoshis`` that says otherwise proves nothing (a tampered answer once asked for
    1 sat while the screen said 2,100, and the float paid the difference).
    """
    for invoice in expected:
        role = invoice.role
        try:
            decoded = decode_invoice(invoice.request)
        except MalformedAnswer as exc:
            raise PayoutGuardError(f"the {role} invoice cannot be decoded ({exc})") from exc
        if decoded.amount_sats != invoice.amount_sats:
            raise PayoutGuardError(
                f"the {role} invoice asks for {decoded.amount_sats} sats, not {invoice.amount_sats}"
            )
        if decoded.payment_hash.lower() != invoice.payment_hash.lower():
            raise PayoutGuardError(f"the {role} invoice's hash is not the one Blink reported")
        if node_ids is not None and decoded.payee.lower() not in node_ids:
            raise PayoutGuardError(f"the {role} invoice is payable to a node that is not Blink's")
