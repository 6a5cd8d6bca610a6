"""The till menu's part of test_table: its representative events and every pair it adds."""

from __future__ import annotations

from terminal.flow import (
    CancelSale,
    CancelTimer,
    Event,
    FlowState,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    LinkChanged,
    PaymentReceived,
    SaleLapsed,
    Show,
    SignalError,
    StartTimer,
    TimerFired,
)
from terminal.flow.menu_data import (
    BalanceRead,
    LoadTill,
    MenuActionDone,
    PinChecked,
    TillLoaded,
)
from terminal.till import SaleLine, SaleWord, TillSummary, Totals
from tests.flow.drive import Driver

S = FlowState
MENU_EVENTS = (PinChecked, TillLoaded, BalanceRead, MenuActionDone)
SUMMARY = TillSummary(
    today=Totals(sales=3, paid=2, forwarded_sats=2100, pending_sats=500),
    in_flight_sats=500,
    in_flight=1,
    failing=0,
    recent=(SaleLine("14:05", 2100, SaleWord.FORWARDED),),
)


def menu_events(driver: Driver) -> dict[type[Event], Event]:
    """One event of each menu type: the PIN verdict answers the check awaited, if any."""
    return {
        PinChecked: PinChecked(driver.pin_request() or 1, accepted=True),
        TillLoaded: TillLoaded(SUMMARY),
        BalanceRead: BalanceRead(54_321),
        MenuActionDone: MenuActionDone("2 forwards asked again"),
    }


# Outside the menu, its answers change nothing (a late verdict, figures, a balance to keep).
_ELSEWHERE = {
    (state, event_type): (state, [])
    for state in S
    if state not in (S.PIN, S.MENU)
    for event_type in MENU_EVENTS
}

MENU_EXPECTED: dict[tuple[FlowState, type[Event]], tuple[FlowState, list[type]]] = {
    **_ELSEWHERE,
    (S.PIN, KeyPressed): (S.IDLE, [CancelTimer, Show]),  # CANCEL closes it
    (S.PIN, LinkChanged): (S.PIN, []),
    (S.PIN, InvoicesCreated): (S.PIN, [CancelSale]),
    (S.PIN, InvoiceCreationFailed): (S.PIN, []),
    (S.PIN, PaymentReceived): (S.PIN, []),
    (S.PIN, ForwardSucceeded): (S.PIN, []),  # noted for the idle screen
    (S.PIN, ForwardDelayed): (S.PIN, []),
    (S.PIN, ForwardFailedHard): (S.PIN, [SignalError]),
    (S.PIN, SaleLapsed): (S.PIN, []),
    (S.PIN, TimerFired): (S.IDLE, [Show]),  # nobody typed: home
    (S.PIN, PinChecked): (S.MENU, [CancelTimer, StartTimer, Show, LoadTill]),
    (S.PIN, TillLoaded): (S.PIN, []),
    (S.PIN, BalanceRead): (S.PIN, []),
    (S.PIN, MenuActionDone): (S.PIN, []),
    (S.MENU, KeyPressed): (S.IDLE, [CancelTimer, Show]),
    (S.MENU, LinkChanged): (S.MENU, []),
    (S.MENU, InvoicesCreated): (S.MENU, [CancelSale]),
    (S.MENU, InvoiceCreationFailed): (S.MENU, []),
    (S.MENU, PaymentReceived): (S.MENU, [LoadTill]),
    (S.MENU, ForwardSucceeded): (S.MENU, [LoadTill]),
    (S.MENU, ForwardDelayed): (S.MENU, []),
    (S.MENU, ForwardFailedHard): (S.MENU, [SignalError]),
    (S.MENU, SaleLapsed): (S.MENU, []),
    (S.MENU, TimerFired): (S.IDLE, [Show]),
    (S.MENU, PinChecked): (S.MENU, []),  # no check is awaited once the menu is open
    (S.MENU, TillLoaded): (S.MENU, [Show]),
    (S.MENU, BalanceRead): (S.MENU, [Show]),
    (S.MENU, MenuActionDone): (S.MENU, [Show, LoadTill]),
}
