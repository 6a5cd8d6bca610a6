"""The till's figures, with no I/O: totals over journaled sales and the word for each sale.

``history`` and the keypad's menu both count with :func:`totals_of`, so the two can never
disagree. The fiat amount and the tip are read from what the journal locked with each sale
(:func:`fiat_of`, :func:`tip_of`), so every total, CSV column and receipt shows the amount the
customer was asked, at the rate that made it sats, never a rate of today.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from terminal.money.pricing import minor_digits
from terminal.money.sale import AttemptOutcome, ForwardAttempt, Sale, SaleState

# The sale is the customer's money: received or already forwarded.
_PAID = (SaleState.RECEIVED, SaleState.FORWARDED)
# Attempt outcomes that need a person (the forwarder keeps retrying them slowly).
_NEEDS_OPERATOR = (AttemptOutcome.INSUFFICIENT_BALANCE, AttemptOutcome.KEY_REFUSED)


@dataclass(frozen=True)
class FiatAmount:
    """What the customer was asked in the merchant's currency, and the rate that made the sats."""

    amount: Decimal
    currency: str
    rate: Decimal  # sats per unit of ``currency``, as locked with the sale


def fiat_of(sale: Sale) -> FiatAmount | None:
    """The fiat amount locked with ``sale`` (its tip included); None for a sale typed in sats."""
    locked = sale.fiat
    if locked is None:
        return None
    unit = Decimal(10) ** minor_digits(locked.currency)
    amount = (Decimal(locked.minor + locked.tip_minor) / unit).quantize(1 / unit)
    # Blink's rate is the price of one sat in minor units; a merchant reads sats per unit.
    rate = (unit / Decimal(locked.rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return FiatAmount(amount, locked.currency, rate)


def tip_of(sale: Sale) -> int:
    """The tip in sats included in ``sale``'s amount (0 for a sale without one)."""
    return sale.tip_sats


@dataclass(frozen=True)
class Totals:
    """What a set of sales adds up to.

    ``sales`` counts every journaled sale (cancelled and unpaid ones too), ``paid`` those the
    customer paid. ``fiat`` has one total per currency over the paid sales that carry one.
    """

    sales: int = 0
    paid: int = 0
    forwarded_sats: int = 0
    pending_sats: int = 0  # received, not yet forwarded
    tip_sats: int = 0
    fiat: tuple[tuple[str, Decimal], ...] = ()


def totals_of(sales: Iterable[Sale]) -> Totals:
    """The totals of ``sales``."""
    counted = paid = forwarded = pending = tips = 0
    fiat: dict[str, Decimal] = {}
    for sale in sales:
        counted += 1
        if sale.state not in _PAID:
            continue
        paid += 1
        tips += tip_of(sale)
        if sale.state is SaleState.FORWARDED:
            forwarded += sale.amount_sats
        else:
            pending += sale.amount_sats
        money = fiat_of(sale)
        if money is not None:
            fiat[money.currency] = fiat.get(money.currency, Decimal(0)) + money.amount
    return Totals(counted, paid, forwarded, pending, tips, tuple(sorted(fiat.items())))


class SaleWord(enum.StrEnum):
    """A sale's state in the merchant's words (menu, receipts)."""

    FORWARDED = "forwarded"  # the merchant has the money
    PENDING = "pending"  # paid; the forward is on its way or retrying
    FAILING = "failing"  # paid; the forward needs the operator (balance, key); money is safe
    OPEN = "open"  # its QR may still be paid
    CANCELLED = "cancelled"
    UNPAID = "unpaid"  # Blink says its invoice expired unpaid
    NO_INVOICE = "no invoice"  # the invoices could not be made


_WORDS = {
    SaleState.NEW: SaleWord.NO_INVOICE,
    SaleState.FAILED: SaleWord.NO_INVOICE,
    SaleState.OPEN: SaleWord.OPEN,
    SaleState.CANCELLED: SaleWord.CANCELLED,
    SaleState.LAPSED: SaleWord.UNPAID,
    SaleState.FORWARDED: SaleWord.FORWARDED,
}


def word_of(sale: Sale, attempts: Sequence[ForwardAttempt] = ()) -> SaleWord:
    """How the merchant would call ``sale``; ``attempts`` (its forward attempts) tell failing."""
    if sale.state is not SaleState.RECEIVED:
        return _WORDS[sale.state]
    last = attempts[-1].outcome if attempts else None
    return SaleWord.FAILING if last in _NEEDS_OPERATOR else SaleWord.PENDING


def is_late(sale: Sale) -> bool:
    """True if the customer paid after the QR's invoice had expired (Blink accepts that)."""
    return (
        sale.received_at is not None
        and sale.pos is not None
        and sale.received_at > sale.pos.expires_at
    )


@dataclass(frozen=True)
class SaleLine:
    """One sale as the menu lists it; ``time`` is already written in local time."""

    time: str
    amount_sats: int
    word: SaleWord
    late: bool = False


@dataclass(frozen=True)
class TillSummary:
    """Everything the menu shows, read from the journal in one go (off the event loop)."""

    today: Totals
    in_flight_sats: int  # received and not yet forwarded, whatever the day
    in_flight: int
    failing: int  # of those, how many need the operator
    recent: tuple[SaleLine, ...] = ()
