"""Real, signed BOLT11 invoices for tests (a throwaway node key, never a Blink key)."""

from __future__ import annotations

import hashlib
import time

from bolt11 import Bolt11, MilliSatoshi, Tag, TagChar, Tags, encode
from coincurve import PrivateKey

_NODE_KEY = hashlib.sha256(b"blink-terminal test node").hexdigest()
NODE_PUBKEY = PrivateKey(bytes.fromhex(_NODE_KEY)).public_key.format().hex()
"""The payee of every invoice made here (coincurve comes with bolt11)."""


def make_invoice(
    amount_sats: int | None = 2100,
    *,
    preimage: bytes = b"sale-0001",
    description: str = "Table 4",
    expiry: int = 900,
    date: int | None = None,
    payee_field: str | None = None,
) -> tuple[str, str]:
    """A signed mainnet BOLT11 and its payment hash; ``payee_field``: an ``n`` field naming it."""
    payment_hash = hashlib.sha256(preimage).hexdigest()
    fields = [
        Tag(TagChar.payment_hash, payment_hash),
        Tag(TagChar.payment_secret, hashlib.sha256(preimage + b"s").hexdigest()),
        Tag(TagChar.description, description),
        Tag(TagChar.expire_time, expiry),
    ]
    if payee_field is not None:
        fields.append(Tag(TagChar.payee, payee_field))
    tags = Tags(fields)
    invoice = Bolt11(
        currency="bc",
        date=int(time.time()) if date is None else date,
        tags=tags,
        amount_msat=None if amount_sats is None else MilliSatoshi(amount_sats * 1000),
    )
    return encode(invoice, _NODE_KEY, keep_payee=payee_field is not None), payment_hash
