"""Real, signed BOLT11 invoices for the sandbox, made the way Blink's node would make them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import bolt11
from bolt11 import (
    Bolt11,
    Feature,
    Features,
    FeatureState,
    MilliSatoshi,
    TagChar,
    Tags,
)
from bolt11.exceptions import Bolt11Exception

from terminal.errors import BlinkRejected

# One node key per process is enough, and a stable payee across sandboxes in one test run makes
# ``globals.nodesIds`` easy to compare. 32 random bytes are a valid secp256k1 secret key but
# with odds of about 1 in 2^128. bolt11 signs with it itself, so the sandbox needs no direct
# secp256k1 library (bolt11's own dependency does the work).
_NODE_SECRET = secrets.token_bytes(32).hex()
_MIN_FINAL_CLTV = 40


@dataclass(frozen=True)
class MadeInvoice:
    """A signed invoice and the secret that settles it."""

    payment_request: str
    payment_hash: str
    preimage: str
    expires_at: float
    payment_secret: str = ""


def make_invoice(amount_sats: int, memo: str, expiry_s: int, *, now: float) -> MadeInvoice:
    """A signed ``lnbc`` invoice for ``amount_sats``, expiring ``expiry_s`` after ``now``."""
    preimage = secrets.token_bytes(32)
    payment_hash = hashlib.sha256(preimage).hexdigest()
    payment_secret = secrets.token_hex(32)
    date = int(now)
    tags = Tags()
    tags.add(TagChar.payment_hash, payment_hash)
    tags.add(TagChar.payment_secret, payment_secret)
    tags.add(TagChar.description, memo)
    tags.add(TagChar.expire_time, expiry_s)
    tags.add(TagChar.min_final_cltv_expiry, _MIN_FINAL_CLTV)
    tags.add(
        TagChar.features,
        Features.from_feature_list(
            {
                Feature.var_onion_optin: FeatureState.required,
                Feature.payment_secret: FeatureState.required,
                Feature.basic_mpp: FeatureState.supported,
            }
        ),
    )
    invoice = Bolt11(
        currency="bc",
        date=date,
        tags=tags,
        amount_msat=MilliSatoshi(amount_sats * 1000) if amount_sats else None,
    )
    request = bolt11.encode(invoice, private_key=_NODE_SECRET)
    return MadeInvoice(
        payment_request=request,
        payment_hash=payment_hash,
        preimage=preimage.hex(),
        expires_at=float(date + expiry_s),
        payment_secret=payment_secret,
    )


def payment_hash_of(payment_request: str) -> str:
    """The payment hash of a BOLT11 invoice; ``BlinkRejected`` (INVOICE_DECODE_ERROR) if bad.

    The sandbox decodes on its own rather than with the terminal's decoder, so a fault in that
    one cannot hide itself behind the same fault here.
    """
    try:
        decoded = bolt11.decode(payment_request.strip())
    except (Bolt11Exception, ValueError, TypeError, KeyError, IndexError) as exc:
        raise BlinkRejected(
            "Invalid payment request: check that the whole BOLT11 invoice was copied",
            code="INVOICE_DECODE_ERROR",
        ) from exc
    payment_hash: str = decoded.payment_hash
    return payment_hash


def _node_pubkey() -> str:
    """The node's public key, as a payer recovers it from any invoice the node signed."""
    probe = make_invoice(1, "", 60, now=0.0)
    payee = bolt11.decode(probe.payment_request).payee
    assert payee is not None  # a signed invoice always recovers its payee
    return payee


NODE_PUBKEY = _node_pubkey()
