"""Walk every (state, event type) pair of the payment flow's transition table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from terminal.errors import IllegalTransition
from terminal.flow import (
    EVENT_TYPES,
    CancelSale,
    CancelTimer,
    Celebrate,
    ConfirmPaid,
    CreateInvoices,
    Event,
    FlowState,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    Link,
    LinkChanged,
    Outcome,
    PaymentReceived,
    SaleLapsed,
    Show,
    SignalError,
    StartTimer,
    TimerFired,
    UnwatchInvoice,
    WatchInvoice,
    diagram,
)
from terminal.flow.table import TABLE, Rule
from terminal.keys import Key
from terminal.links import LinkState
from tests.flow.drive import Driver, created, driver_in, failed, kinds
from tests.flow.menu_expected import MENU_EXPECTED, menu_events

S = FlowState
HOME: list[type] = [Show]  # go home with no timer running
HOME_T: list[type] = [CancelTimer, Show]  # go home, stopping the message timer


def representative(driver: Driver, event_type: type[Event]) -> Event:
    """One event of ``event_type`` that means something in the driver's state.

    It names the sale on screen when there is one (else an unknown sale), the running timer when
    there is one (else a stale name), and answers the awaited request in CREATING (else the
    cancelled request 1, which every ``driver_in`` machine still has due).
    """
    sale = driver.machine.shown_sale_id or "sale-old"
    request = 2 if driver.state() is S.CREATING else 1
    events: dict[type[Event], Event] = {
        KeyPressed: KeyPressed(Key.CANCEL),
        LinkChanged: LinkChanged(Link.POS, LinkState.DOWN, "socket silent for 90 s"),
        InvoicesCreated: created(request, "sale-3"),
        InvoiceCreationFailed: failed(request),
        PaymentReceived: PaymentReceived(sale, 1234),
        ForwardSucceeded: ForwardSucceeded(sale, 1234),
        ForwardDelayed: ForwardDelayed(sale, "Blink unreachable"),
        ForwardFailedHard: ForwardFailedHard(sale, "Balance too low", "Top up BlinkPOS"),
        SaleLapsed: SaleLapsed(sale),
        TimerFired: TimerFired(next(iter(driver.timers), "stale:0")),
        **menu_events(driver),
    }
    return events[event_type]


# (state, event type) -> (next state, effect types), for the representative events above.
EXPECTED: dict[tuple[FlowState, type[Event]], tuple[FlowState, list[type]]] = {
    (S.NOT_READY, KeyPressed): (S.NOT_READY, []),
    (S.NOT_READY, LinkChanged): (S.NOT_READY, [Show]),
    (S.NOT_READY, InvoicesCreated): (S.NOT_READY, [CancelSale]),
    (S.NOT_READY, InvoiceCreationFailed): (S.NOT_READY, []),
    (S.NOT_READY, PaymentReceived): (S.NOT_READY, []),
    (S.NOT_READY, ForwardSucceeded): (S.NOT_READY, [Celebrate]),  # a late payment: noted
    (S.NOT_READY, ForwardDelayed): (S.NOT_READY, []),
    (S.NOT_READY, ForwardFailedHard): (S.NOT_READY, [SignalError]),
    (S.NOT_READY, SaleLapsed): (S.NOT_READY, []),
    (S.NOT_READY, TimerFired): (S.NOT_READY, []),
    (S.IDLE, KeyPressed): (S.IDLE, []),
    (S.IDLE, LinkChanged): (S.NOT_READY, [Show]),
    (S.IDLE, InvoicesCreated): (S.IDLE, [CancelSale]),
    (S.IDLE, InvoiceCreationFailed): (S.IDLE, []),
    (S.IDLE, PaymentReceived): (S.IDLE, []),
    (S.IDLE, ForwardSucceeded): (S.IDLE, [Celebrate, Show]),  # a late payment's notice
    (S.IDLE, ForwardDelayed): (S.IDLE, []),
    (S.IDLE, ForwardFailedHard): (S.IDLE, [SignalError]),
    (S.IDLE, SaleLapsed): (S.IDLE, []),
    (S.IDLE, TimerFired): (S.IDLE, []),
    (S.ENTERING, KeyPressed): (S.IDLE, HOME),
    (S.ENTERING, LinkChanged): (S.NOT_READY, [Show]),
    (S.ENTERING, InvoicesCreated): (S.ENTERING, [CancelSale]),
    (S.ENTERING, InvoiceCreationFailed): (S.ENTERING, []),
    (S.ENTERING, PaymentReceived): (S.ENTERING, []),
    (S.ENTERING, ForwardSucceeded): (S.ENTERING, []),
    (S.ENTERING, ForwardDelayed): (S.ENTERING, []),
    (S.ENTERING, ForwardFailedHard): (S.ENTERING, [SignalError]),
    (S.ENTERING, SaleLapsed): (S.ENTERING, []),
    (S.ENTERING, TimerFired): (S.ENTERING, []),
    (S.TIPPING, KeyPressed): (S.ENTERING, [Show]),
    (S.TIP_ENTRY, KeyPressed): (S.TIPPING, [Show]),
    (S.TIPPING, LinkChanged): (S.NOT_READY, [Show]),
    (S.TIP_ENTRY, LinkChanged): (S.NOT_READY, [Show]),
    (S.TIPPING, InvoicesCreated): (S.TIPPING, [CancelSale]),
    (S.TIP_ENTRY, InvoicesCreated): (S.TIP_ENTRY, [CancelSale]),
    (S.TIPPING, InvoiceCreationFailed): (S.TIPPING, []),
    (S.TIP_ENTRY, InvoiceCreationFailed): (S.TIP_ENTRY, []),
    (S.TIPPING, PaymentReceived): (S.TIPPING, []),
    (S.TIP_ENTRY, PaymentReceived): (S.TIP_ENTRY, []),
    (S.TIPPING, ForwardSucceeded): (S.TIPPING, []),
    (S.TIP_ENTRY, ForwardSucceeded): (S.TIP_ENTRY, []),
    (S.TIPPING, ForwardDelayed): (S.TIPPING, []),
    (S.TIP_ENTRY, ForwardDelayed): (S.TIP_ENTRY, []),
    (S.TIPPING, ForwardFailedHard): (S.TIPPING, [SignalError]),
    (S.TIP_ENTRY, ForwardFailedHard): (S.TIP_ENTRY, [SignalError]),
    (S.TIPPING, SaleLapsed): (S.TIPPING, []),
    (S.TIP_ENTRY, SaleLapsed): (S.TIP_ENTRY, []),
    (S.TIPPING, TimerFired): (S.TIPPING, []),
    (S.TIP_ENTRY, TimerFired): (S.TIP_ENTRY, []),
    (S.CREATING, KeyPressed): (S.IDLE, HOME),
    (S.CREATING, LinkChanged): (S.NOT_READY, [Show]),
    (S.CREATING, InvoicesCreated): (S.WAITING, [WatchInvoice, StartTimer, Show]),
    (S.CREATING, InvoiceCreationFailed): (S.ERROR, [Show, SignalError, StartTimer]),
    (S.CREATING, PaymentReceived): (S.CREATING, []),
    (S.CREATING, ForwardSucceeded): (S.CREATING, []),
    (S.CREATING, ForwardDelayed): (S.CREATING, []),
    (S.CREATING, ForwardFailedHard): (S.CREATING, [SignalError]),
    (S.CREATING, SaleLapsed): (S.CREATING, []),
    (S.CREATING, TimerFired): (S.CREATING, []),
    (S.WAITING, KeyPressed): (S.IDLE, [CancelSale, UnwatchInvoice, CancelTimer, Show]),
    (S.WAITING, LinkChanged): (S.WAITING, [Show]),
    (S.WAITING, InvoicesCreated): (S.WAITING, [CancelSale]),
    (S.WAITING, InvoiceCreationFailed): (S.WAITING, []),
    (S.WAITING, PaymentReceived): (S.FORWARDING, [UnwatchInvoice, CancelTimer, Show]),
    (S.WAITING, ForwardSucceeded): (
        S.DONE,
        [UnwatchInvoice, CancelTimer, Celebrate, Show, StartTimer],
    ),
    (S.WAITING, ForwardDelayed): (S.WAITING, []),
    (S.WAITING, ForwardFailedHard): (S.WAITING, [SignalError]),
    (S.WAITING, SaleLapsed): (S.TIMED_OUT, [CancelTimer, UnwatchInvoice, Show, StartTimer]),
    (S.WAITING, TimerFired): (S.CHECKING, [Show, ConfirmPaid]),
    (S.CHECKING, KeyPressed): (S.IDLE, [CancelSale, UnwatchInvoice, Show]),
    (S.CHECKING, LinkChanged): (S.CHECKING, []),
    (S.CHECKING, InvoicesCreated): (S.CHECKING, [CancelSale]),
    (S.CHECKING, InvoiceCreationFailed): (S.CHECKING, []),
    (S.CHECKING, PaymentReceived): (S.FORWARDING, [UnwatchInvoice, Show]),
    (S.CHECKING, ForwardSucceeded): (S.DONE, [UnwatchInvoice, Celebrate, Show, StartTimer]),
    (S.CHECKING, ForwardDelayed): (S.CHECKING, []),
    (S.CHECKING, ForwardFailedHard): (S.CHECKING, [SignalError]),
    (S.CHECKING, SaleLapsed): (S.TIMED_OUT, [UnwatchInvoice, Show, StartTimer]),
    (S.CHECKING, TimerFired): (S.CHECKING, []),
    (S.FORWARDING, KeyPressed): (S.IDLE, HOME),
    (S.FORWARDING, LinkChanged): (S.FORWARDING, []),
    (S.FORWARDING, InvoicesCreated): (S.FORWARDING, [CancelSale]),
    (S.FORWARDING, InvoiceCreationFailed): (S.FORWARDING, []),
    (S.FORWARDING, PaymentReceived): (S.FORWARDING, []),
    (S.FORWARDING, ForwardSucceeded): (S.DONE, [Celebrate, Show, StartTimer]),
    (S.FORWARDING, ForwardDelayed): (S.FORWARDING, [Show]),
    (S.FORWARDING, ForwardFailedHard): (S.ERROR, [Show, SignalError]),
    (S.FORWARDING, SaleLapsed): (S.FORWARDING, []),
    (S.FORWARDING, TimerFired): (S.FORWARDING, []),
    (S.DONE, KeyPressed): (S.IDLE, HOME_T),
    (S.DONE, LinkChanged): (S.DONE, []),
    (S.DONE, InvoicesCreated): (S.DONE, [CancelSale]),
    (S.DONE, InvoiceCreationFailed): (S.DONE, []),
    (S.DONE, PaymentReceived): (S.DONE, []),
    (S.DONE, ForwardSucceeded): (S.DONE, []),
    (S.DONE, ForwardDelayed): (S.DONE, []),
    (S.DONE, ForwardFailedHard): (S.DONE, [SignalError]),
    (S.DONE, SaleLapsed): (S.DONE, []),
    (S.DONE, TimerFired): (S.IDLE, [Show]),
    (S.TIMED_OUT, KeyPressed): (S.IDLE, HOME_T),
    (S.TIMED_OUT, LinkChanged): (S.TIMED_OUT, []),
    (S.TIMED_OUT, InvoicesCreated): (S.TIMED_OUT, [CancelSale]),
    (S.TIMED_OUT, InvoiceCreationFailed): (S.TIMED_OUT, []),
    (S.TIMED_OUT, PaymentReceived): (S.FORWARDING, [CancelTimer, Show]),
    (S.TIMED_OUT, ForwardSucceeded): (S.DONE, [CancelTimer, Celebrate, Show, StartTimer]),
    (S.TIMED_OUT, ForwardDelayed): (S.TIMED_OUT, []),
    (S.TIMED_OUT, ForwardFailedHard): (S.TIMED_OUT, [SignalError]),
    (S.TIMED_OUT, SaleLapsed): (S.TIMED_OUT, []),
    (S.TIMED_OUT, TimerFired): (S.IDLE, [Show]),
    (S.ERROR, KeyPressed): (S.IDLE, HOME_T),
    (S.ERROR, LinkChanged): (S.ERROR, []),
    (S.ERROR, InvoicesCreated): (S.ERROR, [CancelSale]),
    (S.ERROR, InvoiceCreationFailed): (S.ERROR, []),
    (S.ERROR, PaymentReceived): (S.ERROR, []),
    (S.ERROR, ForwardSucceeded): (S.ERROR, [Celebrate]),
    (S.ERROR, ForwardDelayed): (S.ERROR, []),
    (S.ERROR, ForwardFailedHard): (S.ERROR, [SignalError]),
    (S.ERROR, SaleLapsed): (S.ERROR, []),
    (S.ERROR, TimerFired): (S.IDLE, [Show]),
}

EXPECTED.update(MENU_EXPECTED)

ALL_PAIRS = [(state, event_type) for state in FlowState for event_type in EVENT_TYPES]


def test_the_expectations_cover_every_pair() -> None:
    assert set(EXPECTED) == set(ALL_PAIRS)


@pytest.mark.parametrize(
    ("state", "event_type"), ALL_PAIRS, ids=[f"{s.name}-{e.__name__}" for s, e in ALL_PAIRS]
)
def test_every_pair(state: FlowState, event_type: type[Event]) -> None:
    driver = driver_in(state)
    event = representative(driver, event_type)
    screen = driver.machine.screen
    next_state, effect_types = EXPECTED[(state, event_type)]
    effects = driver.handle(event)
    assert (driver.state(), kinds(effects)) == (next_state, effect_types)
    shows = [e for e in effects if isinstance(e, Show)]
    if shows:
        assert driver.machine.screen == shows[-1].screen
    else:
        assert driver.machine.screen == screen


@pytest.mark.parametrize("state", list(FlowState), ids=[s.name for s in FlowState])
@pytest.mark.parametrize(
    "answer",
    [created(99, "sale-x"), failed(99)],
    ids=["InvoicesCreated", "InvoiceCreationFailed"],
)
def test_an_answer_to_a_request_never_made_is_illegal_and_changes_nothing(
    state: FlowState, answer: Event
) -> None:
    driver = driver_in(state)
    screen, links = driver.machine.screen, driver.machine.links
    with pytest.raises(IllegalTransition, match="never requested or already answered"):
        driver.handle(answer)
    assert (driver.state(), driver.machine.screen, driver.machine.links) == (state, screen, links)
    # ...and the machine still works: the cancelled request 1 is still answered as before.
    assert kinds(driver.handle(created(1, "sale-late"))) == [CancelSale]


@dataclass(frozen=True)
class Unlisted:
    """An event type the table has never heard of."""


@pytest.mark.parametrize("state", list(FlowState), ids=[s.name for s in FlowState])
def test_an_event_type_the_table_does_not_list_is_illegal(state: FlowState) -> None:
    driver = driver_in(state)
    screen = driver.machine.screen
    with pytest.raises(IllegalTransition, match="Unlisted"):
        driver.machine.handle(Unlisted())  # type: ignore[arg-type]  # the point: not an Event
    assert (driver.state(), driver.machine.screen) == (state, screen)


def test_a_second_answer_to_the_same_request_is_illegal() -> None:
    driver = driver_in(FlowState.CREATING)
    driver.handle(created(2, "sale-2"))
    with pytest.raises(IllegalTransition):
        driver.handle(created(2, "sale-2"))
    assert driver.state() is FlowState.WAITING
    assert driver.machine.shown_sale_id == "sale-2"


def test_requests_are_numbered_afresh() -> None:
    driver = driver_in(FlowState.CREATING)
    requests = [e.request for e in driver.effects if isinstance(e, CreateInvoices)]
    assert requests == [1, 2]


@pytest.mark.parametrize(
    ("state", "event_type"), ALL_PAIRS, ids=[f"{s.name}-{e.__name__}" for s, e in ALL_PAIRS]
)
def test_the_table_lists_where_each_pair_went(state: FlowState, event_type: type[Event]) -> None:
    next_state, _ = EXPECTED[(state, event_type)]
    assert TABLE[state][event_type].allows(state, next_state)


def test_a_handler_that_moves_where_its_rule_does_not_list_is_refused() -> None:
    driver = driver_in(FlowState.IDLE)
    screen = driver.machine.screen
    rogue = Rule(lambda ctx, event: Outcome([], FlowState.DONE))
    original = TABLE[FlowState.IDLE][KeyPressed]
    TABLE[FlowState.IDLE][KeyPressed] = rogue
    try:
        with pytest.raises(IllegalTransition, match="not in the table"):
            driver.handle(KeyPressed(Key.OK))
    finally:
        TABLE[FlowState.IDLE][KeyPressed] = original
    assert (driver.state(), driver.machine.screen) == (FlowState.IDLE, screen)


def test_docs_flow_md_is_the_table_drawn() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "flow.md"
    assert path.read_text(encoding="utf-8") == diagram.document(), (
        "docs/flow.md is stale: run python -m terminal.flow.diagram > docs/flow.md"
    )


def test_the_diagram_draws_every_move_and_no_stay() -> None:
    edges = diagram.edges()
    assert (FlowState.WAITING, FlowState.FORWARDING) in edges
    assert "PaymentReceived" in edges[(FlowState.WAITING, FlowState.FORWARDING)]
    assert all(source is not target for source, target in edges)
    moves = {
        (state, target)
        for state, row in TABLE.items()
        for rule in row.values()
        for target in rule.to
        if target is not state
    }
    assert moves == set(edges)
