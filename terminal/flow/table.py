"""The payment flow as data: which handler answers each (state, event type) pair.

Rules, in order of importance:

1. Money is never lost to the screen. ``PaymentSettled`` is legal in every state and always
   emits ``Forward(sale_id)``, whatever sale it names (the shown one, a late one after CANCEL or
   expiry, an old one from before a restart). Only the sale on screen moves the screen. A
   duplicate emits ``Forward`` again: the forwarder is idempotent, and keeping no set of
   settled ids means the core cannot forget one nor grow without bound.
2. No QR without detection. ``Show(ShowInvoice)`` only while the BlinkPOS link detects payments
   (UP, or DEGRADED with ``degraded=True``). IDLE/ENTERING/CREATING fall to NOT_READY when
   detection is lost; WAITING keeps its sale (it is journalled and will be reconciled) and swaps
   the QR for a "connection lost" screen until detection returns.
3. The world races the screen. Link changes, forward results, expiries, timers and late
   answers to a cancelled ``CreateInvoices`` can arrive in any state, so they are legal in every
   state; a stale one (a timer name no longer running, a sale no longer on screen) changes
   nothing. Keys are legal everywhere too: a state ignores the keys it has no use for.
4. What the shell cannot legitimately send raises ``IllegalTransition`` and changes nothing:
   an answer to a ``CreateInvoices`` never issued or already answered (checked by the handler
   before it touches anything), or an event type this table does not list.

So the table is total over the event types of ``events.py`` by design: every pair is listed,
and a new event type must be given a row in every state before the machine accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from terminal.flow import handlers as h
from terminal.flow.effects import Effect
from terminal.flow.events import (
    Event,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoiceExpired,
    InvoicesCreated,
    KeyPressed,
    LinkChanged,
    PaymentSettled,
    TimerFired,
)
from terminal.flow.state import Context, FlowState

# Each handler takes the event type of its row; Any lets one table hold them all.
Handler = Callable[[Context, Any], list[Effect]]

_ROWS: dict[FlowState, dict[type[Event], Handler]] = {
    FlowState.NOT_READY: {
        KeyPressed: h.key_not_ready,
        LinkChanged: h.link_not_ready,
        InvoicesCreated: h.invoices_created,  # only late answers: CREATING abandons on the way here
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.ignore,
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.ignore,
    },
    FlowState.IDLE: {
        KeyPressed: h.key_idle,
        LinkChanged: h.link_ready,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.ignore,
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.ignore,
    },
    FlowState.ENTERING: {
        KeyPressed: h.key_entering,
        LinkChanged: h.link_ready,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.ignore,
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.ignore,
    },
    FlowState.CREATING: {
        KeyPressed: h.key_creating,
        LinkChanged: h.link_creating,
        InvoicesCreated: h.invoices_created,  # the awaited answer → WAITING, or a late one
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.ignore,
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.ignore,
    },
    FlowState.WAITING: {
        KeyPressed: h.key_waiting,
        LinkChanged: h.link_waiting,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_shown,  # the shown sale → PAID
        ForwardSucceeded: h.forwarded,  # the forwarder beat PaymentSettled here → DONE
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.invoice_expired_waiting,  # the shown sale → EXPIRED
        TimerFired: h.timer_waiting,  # the expiry timer → EXPIRED
    },
    FlowState.PAID: {
        KeyPressed: h.key_paid,
        LinkChanged: h.link_elsewhere,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,  # a duplicate, or another sale
        ForwardSucceeded: h.forwarded,  # the shown sale → DONE
        ForwardDelayed: h.forward_delayed,  # stay PAID: "money is safe"
        ForwardFailedHard: h.forward_failed_paid,  # the shown sale → ERROR
        InvoiceExpired: h.ignore,
        TimerFired: h.ignore,
    },
    FlowState.DONE: {
        KeyPressed: h.key_message,
        LinkChanged: h.link_elsewhere,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.ignore,  # a duplicate, or another sale
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.timer_message,
    },
    FlowState.EXPIRED: {
        KeyPressed: h.key_message,
        LinkChanged: h.link_elsewhere,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_shown,  # paid at the last moment → PAID
        ForwardSucceeded: h.forwarded,
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,  # Blink confirming what the timer said
        TimerFired: h.timer_message,
    },
    FlowState.ERROR: {
        KeyPressed: h.key_error,
        LinkChanged: h.link_elsewhere,
        InvoicesCreated: h.invoices_created,
        InvoiceCreationFailed: h.creation_failed,
        PaymentSettled: h.settled_elsewhere,
        ForwardSucceeded: h.forwarded,  # an operator fixed a hard failure of the shown sale
        ForwardDelayed: h.ignore,
        ForwardFailedHard: h.forward_failed_elsewhere,
        InvoiceExpired: h.ignore,
        TimerFired: h.timer_message,
    },
}

TRANSITIONS: dict[tuple[FlowState, type[Event]], Handler] = {
    (state, event_type): handler
    for state, row in _ROWS.items()
    for event_type, handler in row.items()
}
