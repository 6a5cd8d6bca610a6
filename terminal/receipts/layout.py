"""What a receipt says, with no I/O: the facts of one forwarded sale, and its lines of text.

The fiat amount, the rate and the tip come from :mod:`terminal.till`'s seams, so a receipt shows
them as soon as sales carry them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from terminal.flow.entry import format_sats
from terminal.money.sale import Sale
from terminal.till import FiatAmount, fiat_of, tip_of

HASH_CHARS = 16  # enough for the customer's wallet to find the payment, short enough for paper


@dataclass(frozen=True)
class Receipt:
    """One forwarded sale, as printed."""

    shop: str
    sale_id: str
    time: str  # local time with its offset, already written out
    amount_sats: int
    payment_hash: str  # the first characters of the hash the customer's wallet shows
    fiat: FiatAmount | None = None
    tip_sats: int = 0
    copy: bool = False  # a reprint from the menu


def receipt_for(sale: Sale, shop: str, time: str, *, copy: bool = False) -> Receipt:
    """The receipt of a forwarded ``sale``; ``time`` is when it was paid, in local time."""
    pos_hash = sale.pos.hash if sale.pos is not None else ""
    return Receipt(
        shop=shop,
        sale_id=sale.id,
        time=time,
        amount_sats=sale.amount_sats,
        payment_hash=pos_hash[:HASH_CHARS],
        fiat=fiat_of(sale),
        tip_sats=tip_of(sale),
        copy=copy,
    )


def body(receipt: Receipt, width: int) -> list[str]:
    """The receipt's lines below the shop's name, none wider than ``width`` characters."""
    lines = [receipt.time, ""]
    if receipt.fiat is not None:
        fiat = receipt.fiat
        lines.append(_pair(f"Amount {fiat.currency}", f"{fiat.amount}", width))
        lines.append(_pair("Rate", f"{fiat.rate} sats/{fiat.currency}", width))
    if receipt.tip_sats:
        lines.append(_pair("Tip", f"{format_sats(receipt.tip_sats)} sats", width))
    lines.append(_pair("Paid", f"{format_sats(receipt.amount_sats)} sats", width))
    lines += ["", "Lightning payment", f"hash {receipt.payment_hash}...", f"sale {receipt.sale_id}"]
    if receipt.copy:
        lines += ["", "COPY"]
    # A long sale id wraps rather than loses its end: it is what finds the sale in the journal.
    return [part for line in lines for part in textwrap.wrap(line, width) or [""]]


def text(receipt: Receipt, width: int) -> str:
    """The whole receipt as plain text (the folder printer's file), the shop's name centred."""
    return "\n".join([receipt.shop[:width].center(width).rstrip(), *body(receipt, width)]) + "\n"


def _pair(label: str, value: str, width: int) -> str:
    gap = max(1, width - len(label) - len(value))
    return f"{label}{' ' * gap}{value}"
