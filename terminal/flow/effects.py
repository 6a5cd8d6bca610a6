"""What to do: the effects the payment core asks the asyncio shell to carry out, in the imperative.

The shell carries them out in the order given. Contracts the core relies on:

- every :class:`CreateInvoices` is answered by exactly one ``InvoicesCreated`` or
  ``InvoiceCreationFailed`` carrying the same ``request`` (network calls have timeouts, so an
  answer always comes);
- :class:`StartTimer` with a running name replaces that timer; a timer that fires anyway after
  :class:`CancelTimer` is harmless (the core recognises stale names);
- :class:`WatchInvoice` lasts across reconnects of the BlinkPOS socket until
  :class:`UnwatchInvoice`.

Forwarding is not an effect: the money package forwards a sale as soon as the journal says it
was received, whatever the screen shows. LEDs follow the link board, not the flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.flow.events import Link
from terminal.flow.menu_data import (
    CheckPin,
    LoadTill,
    RefreshBalance,
    ReprintReceipt,
    RetryForwards,
)
from terminal.screens.model import Screen


@dataclass(frozen=True)
class CreateInvoices:
    """Begin a sale: journal it, make its invoices, answer with ``request``.

    ``amount`` and ``tip`` are as typed: sats, or minor units of the terminal's currency (the
    shell prices them at Blink's rate and locks that rate with the sale).
    """

    amount: int
    request: int
    tip: int = 0


@dataclass(frozen=True)
class Show:
    """Put ``screen`` on the display."""

    screen: Screen


@dataclass(frozen=True)
class WatchInvoice:
    """Subscribe to the status of the shown sale's POS invoice."""

    sale_id: str
    payment_hash: str


@dataclass(frozen=True)
class UnwatchInvoice:
    """End the status subscription of ``sale_id`` (myUpdates still reports a late payment)."""

    sale_id: str


@dataclass(frozen=True)
class ConfirmPaid:
    """Ask Blink now whether the shown sale's invoice was paid (its answer comes as an event)."""

    sale_id: str
    payment_hash: str


@dataclass(frozen=True)
class CancelSale:
    """Journal that the merchant gave up on ``sale_id``; a late payment is still forwarded."""

    sale_id: str


@dataclass(frozen=True)
class Celebrate:
    """LEDs, buzzer and animation: the sale reached the merchant."""


@dataclass(frozen=True)
class SignalError:
    """The error LED and tone: something needs the merchant's attention."""


@dataclass(frozen=True)
class StartTimer:
    """Fire ``TimerFired(name)`` after ``seconds``."""

    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    """Stop the timer ``name`` if it is running."""

    name: str


@dataclass(frozen=True)
class Reconnect:
    """Drop and re-open ``link`` now, skipping the rest of its backoff."""

    link: Link


Effect = (
    CreateInvoices
    | Show
    | WatchInvoice
    | UnwatchInvoice
    | ConfirmPaid
    | CancelSale
    | Celebrate
    | SignalError
    | StartTimer
    | CancelTimer
    | Reconnect
    | CheckPin
    | LoadTill
    | RefreshBalance
    | RetryForwards
    | ReprintReceipt
)
