"""A sale and its rules, with no I/O: states, the transition table, ids and records.

A sale's life (every arrow is one durable journal write):

    new ──record_invoices──▶ open ──mark_received──▶ received ──mark_forwarded──▶ forwarded
     │                        │  ▲
     │ mark_failed            │  └── a late payment still moves cancelled or lapsed to received
     ▼                        ├──mark_cancelled──▶ cancelled
    failed                    └──mark_lapsed─────▶ lapsed

Words: a sale is *received* when the customer's money reached BlinkPOS, and *lapsed* when Blink
called its POS invoice ``EXPIRED`` unpaid. (Blink's own words, ``PAID`` and ``EXPIRED``, stay
with Blink's invoice status, :class:`terminal.blink.models.InvoiceStatus`; the screen has its
own states in :mod:`terminal.flow`.)

Rules, in order of importance:

1. Once ``received``, a sale only ever moves to ``forwarded``: money received is never forgotten.
2. ``cancelled`` is what the merchant did and ``lapsed`` what Blink said; an invoice may still be
   paid after either (Blink-to-Blink payments do not check expiry), so both may still move to
   ``received``.
3. Repeating a mark is harmless (the event sources are at-least-once): it is a no-op that
   reports "nothing changed". So is a cancel or lapse arriving after a payment won the race.
4. Anything else is a bug in the caller and raises :class:`IllegalTransition`, leaving the sale
   as it was.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from terminal.errors import IllegalTransition

SALE_ID_PATTERN = re.compile(r"^[a-z0-9_-]{1,100}$")
TERMINAL_ID_PATTERN = re.compile(r"^[a-z0-9]{4,32}$")


class SaleState(enum.StrEnum):
    """Where a sale is in its life; the value is what the journal stores."""

    NEW = "new"
    OPEN = "open"
    RECEIVED = "received"  # the customer paid: the money is on BlinkPOS
    FORWARDED = "forwarded"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"  # Blink called the POS invoice EXPIRED, unpaid
    FAILED = "failed"


class Change(enum.Enum):
    """What asking for a state does to a sale in some state."""

    MOVE = "move"
    NO_OP = "no-op"
    ILLEGAL = "illegal"


_S = SaleState

# (from, to) pairs that change the sale.
_MOVES: frozenset[tuple[SaleState, SaleState]] = frozenset(
    {
        (_S.NEW, _S.OPEN),
        (_S.NEW, _S.FAILED),
        (_S.OPEN, _S.RECEIVED),
        (_S.OPEN, _S.CANCELLED),
        (_S.OPEN, _S.LAPSED),
        (_S.CANCELLED, _S.RECEIVED),
        (_S.LAPSED, _S.RECEIVED),
        # Blink calling a cancelled sale's invoice EXPIRED is worth recording: a lapsed sale is
        # asked about less often than an open one.
        (_S.CANCELLED, _S.LAPSED),
        (_S.RECEIVED, _S.FORWARDED),
    }
)

# (from, to) pairs that are accepted and change nothing: repeats, and cancels or lapses that
# lost a race against the payment (or against each other).
_NO_OPS: frozenset[tuple[SaleState, SaleState]] = frozenset(
    {(state, state) for state in SaleState}
    | {
        (_S.FORWARDED, _S.RECEIVED),
        (_S.LAPSED, _S.CANCELLED),
        (_S.RECEIVED, _S.CANCELLED),
        (_S.RECEIVED, _S.LAPSED),
        (_S.FORWARDED, _S.CANCELLED),
        (_S.FORWARDED, _S.LAPSED),
    }
)

# Sales Blink has not settled yet, so they still need a status query. (A payment may also move
# a ``lapsed`` sale: see the detection module for how those are still asked about.)
UNSETTLED_STATES: frozenset[SaleState] = frozenset({_S.OPEN, _S.CANCELLED})


def change(current: SaleState, target: SaleState) -> Change:
    """What moving a sale from ``current`` to ``target`` means, per the table above."""
    if (current, target) in _MOVES:
        return Change.MOVE
    if (current, target) in _NO_OPS:
        return Change.NO_OP
    return Change.ILLEGAL


def require_change(current: SaleState, target: SaleState, operation: str) -> bool:
    """True if the sale must move, False if nothing changes; raise if ``operation`` is illegal."""
    result = change(current, target)
    if result is Change.ILLEGAL:
        raise IllegalTransition(current.value, operation)
    return result is Change.MOVE


class AttemptOutcome(enum.StrEnum):
    """How one pay request for a merchant invoice ended, as the journal stores it."""

    SUCCESS = "success"
    ALREADY_PAID = "already_paid"
    PENDING = "pending"
    FAILURE = "failure"
    LOST = "lost"  # no usable answer: timeout, unreachable, 5xx, 429, malformed
    INSUFFICIENT_BALANCE = "insufficient_balance"
    KEY_REFUSED = "key_refused"  # the key or its scope was refused; nothing was paid


@dataclass(frozen=True)
class InvoiceRef:
    """An invoice as the journal keeps it: the BOLT11 text, its payment hash, its expiry.

    ``expires_at`` is Blink's Unix time (compare it with Blink's clock, never the terminal's).
    ``verified``: a merchant invoice that Blink, asked with the merchant's own READ key, said
    belongs to the merchant's wallet.
    """

    request: str
    hash: str
    expires_at: float
    verified: bool = False
    paid_at: float | None = None  # a payout invoice known paid (its payout is done)


@dataclass(frozen=True)
class ForwardAttempt:
    """One pay request for a merchant invoice; journaled before the request leaves."""

    id: int
    sale_id: str
    merchant_hash: str
    started_at: float  # the terminal's clock: for people reading the journal
    finished_at: float | None
    outcome: AttemptOutcome | None
    detail: str
    # Blink's clock when the request left: how long it may still be in flight is measured on
    # Blink's clock (carried over restarts), never the terminal's, which may jump.
    started_blink: float | None = None


@dataclass(frozen=True)
class Sale:
    """A sale as the journal holds it."""

    id: str
    amount_sats: int
    memo: str
    state: SaleState
    created_at: float
    updated_at: float
    pos: InvoiceRef | None
    merchant: InvoiceRef | None
    replaced_merchants: tuple[InvoiceRef, ...] = ()
    received_at: float | None = None
    forwarded_at: float | None = None
    # The destination, locked when the sale was made: a replacement pays only these wallets,
    # whatever the configuration says later. None only in journals from before version 3.
    pos_wallet: str | None = None
    merchant_wallet: str | None = None
    paid_sats: int | None = None  # what Blink said the customer paid, when it said
    # A tip: part of amount_sats. With a tip_wallet (a recipient's) it is a second payout with
    # its own invoice; without, it goes to the merchant with the rest.
    tip_sats: int = 0
    tip_wallet: str | None = None
    tip: InvoiceRef | None = None
    replaced_tips: tuple[InvoiceRef, ...] = ()
    # The sale as typed, when typed in a currency: locked with the rate before the QR.
    fiat: FiatAmount | None = None

    def payouts(self) -> tuple[Payout, ...]:
        """Where the sale's money goes: the merchant, and a tip recipient when there is one."""
        split = self.tip_wallet is not None and self.tip_sats > 0
        merchant = Payout(
            PayoutRole.MERCHANT,
            self.amount_sats - (self.tip_sats if split else 0),
            self.merchant_wallet,
            self.merchant,
            self.replaced_merchants,
        )
        if not split:
            return (merchant,)
        tip = Payout(PayoutRole.TIP, self.tip_sats, self.tip_wallet, self.tip, self.replaced_tips)
        return (merchant, tip)

    def payout(self, role: PayoutRole) -> Payout | None:
        """The payout of ``role``, if the sale has one."""
        return next((p for p in self.payouts() if p.role is role), None)


class PayoutRole(enum.StrEnum):
    """Who a payout pays; the value is what the journal stores with each payout invoice."""

    MERCHANT = "merchant"
    TIP = "tip"


@dataclass(frozen=True)
class Payout:
    """One forward of a sale: an amount to one wallet, through its current invoice."""

    role: PayoutRole
    amount_sats: int
    wallet: str | None
    invoice: InvoiceRef | None
    replaced: tuple[InvoiceRef, ...] = ()

    @property
    def done(self) -> bool:
        """True once the current invoice is known paid."""
        return self.invoice is not None and self.invoice.paid_at is not None


@dataclass(frozen=True)
class FiatAmount:
    """A sale typed in a currency, and the rate that made it sats: locked before the QR.

    ``minor`` is in the currency's minor unit (cents; yen have none); ``rate`` is Blink's price
    of one sat in that minor unit, as a decimal string (exact, as Blink gave it).
    """

    currency: str
    minor: int
    tip_minor: int
    rate: str


def new_terminal_id() -> str:
    """A fresh random id for this terminal (made once, kept in the journal)."""
    return "t" + secrets.token_hex(5)


def new_sale_id(terminal_id: str, now: float) -> str:
    """A sale id unique across terminals sharing one BlinkPOS account, usable as ``externalId``.

    Terminal id first (different terminals never collide), then the second it was made (ids
    sort by time in ``history``), then randomness (two sales within one second).
    """
    if not TERMINAL_ID_PATTERN.match(terminal_id):
        raise ValueError(f"terminal id {terminal_id!r} must match {TERMINAL_ID_PATTERN.pattern}")
    # 64 random bits: sales made in the same second never collide in practice (a collision
    # would be refused by Blink as a duplicate externalId, and by the journal's primary key).
    sale_id = f"{terminal_id}-{int(now):x}-{secrets.token_hex(8)}"
    # The pattern is Blink's own rule for externalId; a sale id that broke it could not be
    # used to create the POS invoice at all.
    assert SALE_ID_PATTERN.match(sale_id)
    return sale_id
