"""Local BOLT11 decoding, so the terminal can check an invoice without asking anyone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import bolt11

from terminal.errors import MalformedAnswer

_PREFIX = "lightning:"
_PUBKEY_HEX = 66  # a compressed secp256k1 public key, hex


@dataclass(frozen=True)
class DecodedInvoice:
    """What the payout guard needs from a BOLT11: amount, hash, expiry (Unix seconds), memo.

    ``payee`` is the node that signed it (33-byte compressed pubkey, lower-case hex): from the
    ``n`` field when present (the signature is checked against it), else recovered from the
    signature. An invoice payable intraledger names one of Blink's nodes (``globals.nodesIds``).
    """

    amount_sats: int | None
    payment_hash: str
    expires_at: int
    description: str | None
    payee: str


# Decoding checks a secp256k1 signature: about 2 ms on this machine, several on a Pi Zero. A sale's
# invoices are decoded when they are made and again by the payout guard right before the pay
# request, so the answers are kept. Bounded: a few sales' invoices at a time are ever in play.
# Only successes are kept (lru_cache does not keep a raised error), and a DecodedInvoice is frozen.
DECODE_CACHE_SIZE = 32


def decode_invoice(payment_request: str) -> DecodedInvoice:
    """Decode a BOLT11 (any case, optional ``lightning:`` prefix) or raise MalformedAnswer."""
    text = payment_request.strip()
    if text.lower().startswith(_PREFIX):
        text = text[len(_PREFIX) :]
    return _decode(text)


@lru_cache(maxsize=DECODE_CACHE_SIZE)
def _decode(text: str) -> DecodedInvoice:
    try:
        decoded = bolt11.decode(text)
        payment_hash = decoded.payment_hash
        expires_at = decoded.expiry_time
        description = decoded.description
        payee = decoded.payee
    # The decoder raises a wide variety (bech32, bitstring, ValueError, its own): any of them
    # means the same thing to us, an invoice we cannot trust.
    except Exception as exc:
        raise MalformedAnswer(
            f"not a valid Lightning invoice ({type(exc).__name__}): "
            "check that the whole invoice was copied"
        ) from exc
    if not isinstance(payee, str) or len(payee) != _PUBKEY_HEX:
        raise MalformedAnswer("not a valid Lightning invoice (no payee): check the invoice")
    amount_msat = decoded.amount_msat
    amount_sats = None if amount_msat is None else int(amount_msat) // 1000
    return DecodedInvoice(
        amount_sats=amount_sats,
        payment_hash=payment_hash,
        expires_at=int(expires_at),
        description=description,
        payee=payee.lower(),
    )
