"""Real, signed BOLT11 invoices for tests (a throwaway node key, never a Blink key)."""

from __future__ import annotations

import hashlib
import time

from bolt11 import Bolt11, MilliSatoshi, Tag, TagChar, Tags, encode

_NODE_KEY = hashlib.sha256(b"blink-terminal test node").hexdigest()


def make_invoice(
    amount_sats: int | None = 2100,
    *,
    preimage: bytes = b"sale-0001",
    description: str = "Table 4",
    expiry: int = 900,
    date: int | None = None,
) -> tuple[str, str]:
    """A signed mainnet BOLT11 and its payment hash."""
    payment_hash = hashlib.sha256(preimage).hexdigest()
    tags = Tags(
        [
            Tag(TagChar.payment_hash, payment_hash),
            Tag(TagChar.payment_secret, hashlib.sha256(preimage + b"s").hexdigest()),
            Tag(TagChar.description, description),
            Tag(TagChar.expire_time, expiry),
        ]
    )
    invoice = Bolt11(
        currency="bc",
        date=int(time.time()) if date is None else date,
        tags=tags,
        amount_msat=None if amount_sats is None else MilliSatoshi(amount_sats * 1000),
    )
    return encode(invoice, _NODE_KEY), payment_hash
