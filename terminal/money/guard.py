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

from terminal.blink.invoice import DecodedInvoice, decode_invoice
from terminal.errors import MalformedAnswer, PayoutGuardError
from terminal.money.sale import Sale, SaleState

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
) -> DecodedInvoice:
    """Return the decoded invoice if paying it settles exactly this sale; else PayoutGuardError.

    ``now`` is Blink's time; ``node_ids`` Blink's node keys (``globals.nodesIds``), when known.
    """
    if sale.state is not SaleState.RECEIVED:
        raise PayoutGuardError(
            f"sale {sale.id} is {sale.state.value}, not received: the terminal pays a merchant "
            "only for a sale the customer has paid"
        )
    merchant = sale.merchant
    if merchant is None or payment_request != merchant.request:
        raise PayoutGuardError(
            f"sale {sale.id}: that invoice is not the merchant invoice journaled for it; "
            "the terminal pays only invoices it created itself"
        )
    decoded = _decode(sale, payment_request)
    if decoded.amount_sats != sale.amount_sats:
        raise PayoutGuardError(
            f"sale {sale.id}: the merchant invoice is for {decoded.amount_sats} sats but the "
            f"sale is {sale.amount_sats} sats; refusing to pay it"
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


def check_new_invoices(
    amount_sats: int,
    pos_request: str,
    pos_hash: str,
    merchant_request: str,
    merchant_hash: str,
    *,
    node_ids: frozenset[str] | None,
) -> None:
    """Before the QR is shown: both invoices Blink made are for exactly the typed amount, carry
    the hashes Blink reported, and are payable to Blink's nodes; else PayoutGuardError.

    The QR is the POS invoice's BOLT11 itself, so its amount is what the customer is asked for:
    a JSON ``satoshis`` that says otherwise proves nothing (a tampered answer once asked for
    1 sat while the screen said 2,100, and the float paid the difference).
    """
    for role, request, expected_hash in (
        ("customer's", pos_request, pos_hash),
        ("merchant's", merchant_request, merchant_hash),
    ):
        try:
            decoded = decode_invoice(request)
        except MalformedAnswer as exc:
            raise PayoutGuardError(f"the {role} invoice cannot be decoded ({exc})") from exc
        if decoded.amount_sats != amount_sats:
            raise PayoutGuardError(
                f"the {role} invoice asks for {decoded.amount_sats} sats, not {amount_sats}"
            )
        if decoded.payment_hash.lower() != expected_hash.lower():
            raise PayoutGuardError(f"the {role} invoice's hash is not the one Blink reported")
        if node_ids is not None and decoded.payee.lower() not in node_ids:
            raise PayoutGuardError(f"the {role} invoice is payable to a node that is not Blink's")
