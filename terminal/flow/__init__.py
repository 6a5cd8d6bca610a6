"""The screen's flow: a state machine from events to effects, with no I/O.

It imports no asyncio, httpx, websockets, gpiozero, luma, sqlite3, time or random (a test
checks). The asyncio shell turns the world into :mod:`~terminal.flow.events`, feeds them to
:meth:`Machine.handle` one at a time, and carries out the :mod:`~terminal.flow.effects` it gets
back. The rules are in ``table.py``.
"""

from terminal.flow.effects import (
    CancelSale,
    CancelTimer,
    Celebrate,
    ConfirmPaid,
    CreateInvoices,
    Effect,
    Reconnect,
    Show,
    SignalError,
    StartTimer,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.events import (
    EVENT_TYPES,
    Event,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    Link,
    LinkChanged,
    PaymentReceived,
    SaleLapsed,
    TimerFired,
)
from terminal.flow.machine import Machine
from terminal.flow.state import FlowConfig, FlowState, Outcome

__all__ = [
    "EVENT_TYPES",
    "CancelSale",
    "CancelTimer",
    "Celebrate",
    "ConfirmPaid",
    "CreateInvoices",
    "Effect",
    "Event",
    "FlowConfig",
    "FlowState",
    "ForwardDelayed",
    "ForwardFailedHard",
    "ForwardSucceeded",
    "InvoiceCreationFailed",
    "InvoicesCreated",
    "KeyPressed",
    "Link",
    "LinkChanged",
    "Machine",
    "Outcome",
    "PaymentReceived",
    "Reconnect",
    "SaleLapsed",
    "Show",
    "SignalError",
    "StartTimer",
    "TimerFired",
    "UnwatchInvoice",
    "WatchInvoice",
]
