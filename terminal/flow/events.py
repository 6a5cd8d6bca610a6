"""What happened: the events the asyncio shell feeds the payment core, named in the past tense.

Every event is plain frozen data. The shell makes them from key presses, link supervisors,
Blink answers, the journal, the forwarder and its timers; the core never makes one itself.
"""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass

from terminal.flow.menu_data import BalanceRead, MenuActionDone, PinChecked, TillLoaded
from terminal.keys import Key
from terminal.links import LinkState


class Link(enum.Enum):
    """Which connection to Blink a :class:`LinkChanged` is about."""

    POS = "pos"  # the BlinkPOS (intermediary) account: invoices, detection, forwarding
    MERCHANT = "merchant"  # the optional merchant socket: balance and arrival confirmation


@dataclass(frozen=True)
class KeyPressed:
    """The merchant pressed a key."""

    key: Key


@dataclass(frozen=True)
class LinkChanged:
    """A link changed state; ``reason`` is a short, key-free sentence for the screen."""

    link: Link
    state: LinkState
    reason: str = ""


@dataclass(frozen=True)
class InvoicesCreated:
    """Both invoices of a sale exist and are in the journal (durably), answering ``request``.

    ``request`` echoes :attr:`terminal.flow.effects.CreateInvoices.request`: it tells an answer to
    the sale on screen from a late answer to one the merchant already cancelled.
    """

    sale_id: str
    amount_sats: int  # what the customer pays, a tip included
    payment_request: str  # the POS invoice (BOLT11) the customer pays
    payment_hash: str  # of the POS invoice, for the status subscription
    expires_in: float  # seconds the invoice lives from ``made_at``, measured on Blink's clock
    request: int
    made_at: float  # monotonic seconds: the QR's countdown runs from here, never the wall clock
    typed: int | None = None  # echoes CreateInvoices.amount (None: the same as amount_sats)


@dataclass(frozen=True)
class InvoiceCreationFailed:
    """Creating the invoices for ``request`` failed; the texts say what happened and what to do."""

    sale_id: str | None  # None when the journal never got as far as a sale
    title: str
    detail: str
    action: str
    retryable: bool
    request: int


@dataclass(frozen=True)
class PaymentReceived:
    """The journal says the customer paid ``sale_id``: the sale on screen, a late one or an old one.

    The forwarder has already been woken (the money package does that, not the screen).
    """

    sale_id: str
    amount_sats: int


@dataclass(frozen=True)
class ForwardSucceeded:
    """The sale reached the merchant's account; the journal says forwarded."""

    sale_id: str
    amount_sats: int


@dataclass(frozen=True)
class ForwardDelayed:
    """Forwarding the sale failed for now and will be retried; the money is safe on BlinkPOS."""

    sale_id: str
    reason: str


@dataclass(frozen=True)
class ForwardFailedHard:
    """Forwarding the sale cannot succeed without an operator (e.g. insufficient balance)."""

    sale_id: str
    title: str
    action: str


@dataclass(frozen=True)
class SaleLapsed:
    """Blink says the POS invoice of ``sale_id`` expired unpaid (a status event or query)."""

    sale_id: str


@dataclass(frozen=True)
class TimerFired:
    """A timer the core started with :class:`terminal.flow.effects.StartTimer` ran out."""

    name: str


Event = (
    KeyPressed
    | LinkChanged
    | InvoicesCreated
    | InvoiceCreationFailed
    | PaymentReceived
    | ForwardSucceeded
    | ForwardDelayed
    | ForwardFailedHard
    | SaleLapsed
    | TimerFired
    | PinChecked
    | TillLoaded
    | BalanceRead
    | MenuActionDone
)

# Every event type, for the code (and tests) that must walk them all, in the union's order.
EVENT_TYPES: tuple[type[Event], ...] = typing.get_args(Event)
