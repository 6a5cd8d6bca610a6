"""The screen's flow as data: for each (state, event type), who handles it and where it may go.

Rules, in order of importance:

1. Money is never lost to the screen. The screen does not forward anything: the money package
   forwards every received sale whatever the screen shows. ``PaymentReceived`` is legal in
   every state; only the sale on screen moves the screen.
2. No QR without detection. ``Show(ShowInvoice)`` only while the BlinkPOS link detects payments
   (UP, or DEGRADED with ``degraded=True``). IDLE/ENTERING/CREATING fall to NOT_READY when
   detection is lost; WAITING keeps its sale (it is journaled and will be reconciled) and swaps
   the QR for a "connection lost" screen until detection returns.
3. The world races the screen. Link changes, forward results, lapses, timers and late answers
   to a cancelled ``CreateInvoices`` can arrive in any state, so they are legal in every state;
   a stale one (a timer name no longer running, a sale no longer on screen) changes nothing.
   Keys are legal everywhere too: a state ignores the keys it has no use for.
4. What the shell cannot legitimately send raises ``IllegalTransition`` and changes nothing: an
   answer to a ``CreateInvoices`` never issued or already answered (checked by the handler
   before it touches anything), or a handler moving somewhere its rule does not list (a bug).
5. The till menu (PIN, MENU) opens only from IDLE or NOT_READY, by a key, and closes home; no
   sale starts and no QR is shown while it is open, and it closes by itself (``menu.py``). Its
   answers (a PIN verdict, the figures) may come late like any other, so they are legal
   everywhere and change nothing outside the menu.

Each cell is a :class:`Rule`: the handler, and the states it may move to (staying is always
allowed). Rows shared by every state are written once in ``EVERYWHERE``; a state's own rows
override them. The table is total: a new event type needs a row in ``EVERYWHERE`` (or in every
state) before the machine accepts it. ``python -m terminal.flow.diagram`` draws it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from terminal.flow import handlers as h
from terminal.flow import menu as m
from terminal.flow.events import (
    EVENT_TYPES,
    Event,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    LinkChanged,
    PaymentReceived,
    SaleLapsed,
    TimerFired,
)
from terminal.flow.menu_data import BalanceRead, MenuActionDone, PinChecked, TillLoaded
from terminal.flow.state import Context, FlowState, Outcome

# Each handler takes the event type of its row; Any lets one table hold them all.
Handler = Callable[[Context, Any], Outcome]

S = FlowState


@dataclass(frozen=True)
class Rule:
    """One cell: the handler, and every state it may move to besides staying where it is."""

    handler: Handler
    to: frozenset[FlowState] = frozenset()

    def allows(self, current: FlowState, target: FlowState) -> bool:
        """True if moving from ``current`` to ``target`` is what this rule says may happen."""
        return target is current or target in self.to


def rule(handler: Handler, *to: FlowState) -> Rule:
    """A rule for ``handler`` that may move to ``to`` (or stay)."""
    return Rule(handler, frozenset(to))


HOME = (S.IDLE, S.NOT_READY)  # where going home lands, by whether payments are detected

# The same in every state unless a state says otherwise.
EVERYWHERE: dict[type[Event], Rule] = {
    LinkChanged: rule(h.note_link),
    InvoicesCreated: rule(h.late_invoices),
    InvoiceCreationFailed: rule(h.late_failure),
    PaymentReceived: rule(h.ignore),
    ForwardSucceeded: rule(h.forwarded_elsewhere),  # a late payment: a notice, a sound
    ForwardDelayed: rule(h.ignore),
    ForwardFailedHard: rule(h.forward_failed_elsewhere),
    SaleLapsed: rule(h.ignore),
    TimerFired: rule(h.ignore),
    PinChecked: rule(h.ignore),
    TillLoaded: rule(h.ignore),
    BalanceRead: rule(m.note_balance),
    MenuActionDone: rule(h.ignore),
}

# A message on screen (success, timed out, error) until a key or its timer.
_MESSAGE: dict[type[Event], Rule] = {
    KeyPressed: rule(h.key_message, *HOME, S.ENTERING),
    TimerFired: rule(h.timer_message, *HOME),
}

_OWN_ROWS: dict[FlowState, dict[type[Event], Rule]] = {
    S.NOT_READY: {
        KeyPressed: rule(m.key_not_ready, S.PIN),
        LinkChanged: rule(h.link_not_ready, S.IDLE),
    },
    S.IDLE: {
        KeyPressed: rule(m.key_idle, S.ENTERING, S.PIN),
        LinkChanged: rule(h.link_ready, S.NOT_READY),
    },
    S.ENTERING: {
        KeyPressed: rule(h.key_entering, *HOME, S.CREATING, S.TIPPING),
        LinkChanged: rule(h.link_ready, S.NOT_READY),
    },
    S.TIPPING: {
        KeyPressed: rule(h.key_tipping, S.ENTERING, S.TIP_ENTRY, S.CREATING),
        LinkChanged: rule(h.link_ready, S.NOT_READY),
    },
    S.TIP_ENTRY: {
        KeyPressed: rule(h.key_tip_entry, S.TIPPING, S.CREATING),
        LinkChanged: rule(h.link_ready, S.NOT_READY),
    },
    S.CREATING: {
        KeyPressed: rule(h.key_creating, *HOME),
        LinkChanged: rule(h.link_creating, S.NOT_READY),
        InvoicesCreated: rule(h.invoices_created, S.WAITING, S.ERROR),
        InvoiceCreationFailed: rule(h.creation_failed, S.ERROR),
    },
    S.WAITING: {
        KeyPressed: rule(h.key_waiting, *HOME),
        LinkChanged: rule(h.link_waiting),
        PaymentReceived: rule(h.received_shown, S.FORWARDING),
        ForwardSucceeded: rule(h.forwarded, S.DONE),  # the forwarder beat PaymentReceived here
        SaleLapsed: rule(h.lapsed_shown, S.TIMED_OUT),
        TimerFired: rule(h.timer_waiting, S.CHECKING),  # the terminal's clock: ask Blink first
    },
    S.CHECKING: {
        KeyPressed: rule(h.key_checking, *HOME),
        PaymentReceived: rule(h.received_shown, S.FORWARDING),
        ForwardSucceeded: rule(h.forwarded, S.DONE),
        SaleLapsed: rule(h.lapsed_shown, S.TIMED_OUT),  # only Blink's word says "not paid"
    },
    S.FORWARDING: {
        KeyPressed: rule(h.key_forwarding, *HOME),
        ForwardSucceeded: rule(h.forwarded, S.DONE),
        ForwardDelayed: rule(h.forward_delayed),  # stay: "the money is safe"
        ForwardFailedHard: rule(h.forward_failed_shown, S.ERROR),
    },
    S.DONE: dict(_MESSAGE),
    S.TIMED_OUT: {
        **_MESSAGE,
        PaymentReceived: rule(h.received_shown, S.FORWARDING),  # paid at the last moment
        ForwardSucceeded: rule(h.forwarded, S.DONE),
    },
    S.ERROR: {
        **_MESSAGE,
        KeyPressed: rule(h.key_error, *HOME, S.ENTERING, S.CREATING),
        ForwardSucceeded: rule(h.forwarded, S.DONE),  # an operator fixed the shown sale's forward
    },
    S.PIN: {
        KeyPressed: rule(m.key_pin, *HOME),
        PinChecked: rule(m.pin_checked, S.MENU),
        TimerFired: rule(m.timer_menu, *HOME),
    },
    S.MENU: {
        KeyPressed: rule(m.key_menu, *HOME),
        TillLoaded: rule(m.till_loaded),
        MenuActionDone: rule(m.action_done),
        PaymentReceived: rule(m.reload),  # the figures move: read them again
        ForwardSucceeded: rule(m.forwarded_reload),
        TimerFired: rule(m.timer_menu, *HOME),
    },
}

TABLE: dict[FlowState, dict[type[Event], Rule]] = {
    state: {**EVERYWHERE, **_OWN_ROWS[state]} for state in FlowState
}

# The table is total over the event types: checked here, so a gap fails at import, not at 3 am.
assert all(set(row) == set(EVENT_TYPES) for row in TABLE.values()), "a (state, event) has no rule"
