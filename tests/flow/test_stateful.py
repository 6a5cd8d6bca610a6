"""Arbitrary sequences of the world's events: a paid sale is never shown unpaid or invented."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from terminal.errors import IllegalTransition
from terminal.flow import (
    CancelSale,
    CancelTimer,
    CreateInvoices,
    Effect,
    Event,
    FlowState,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    KeyPressed,
    Link,
    LinkChanged,
    Machine,
    PaymentReceived,
    SaleLapsed,
    Show,
    StartTimer,
    TimerFired,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.menu_data import CheckPin, PinChecked
from terminal.keys import Key
from terminal.links import LinkState
from terminal.screens.model import Expired, ShowInvoice
from tests.flow.drive import CONFIG, created, failed

# Sales the journal knows from before this run, or another terminal's: settled all the same.
OLD_SALES = ["old-1", "old-2"]


class PaymentFlow(RuleBasedStateMachine):
    """Drive the machine as a hostile world would, checking the money invariants after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.machine = Machine(CONFIG)
        self.pos = LinkState.CONNECTING
        self.requests: list[int] = []  # issued and not answered yet
        self.answered: list[int] = []
        self.sales: list[str] = list(OLD_SALES)
        self.settled: set[str] = set()
        self.lapsed: set[str] = set()  # sales Blink said expired
        self.timers_started: list[str] = []
        self.running: set[str] = set()
        self.watched: set[str] = set()
        self.created_sales: set[str] = set()
        self.amounts: dict[int, int] = {}  # request -> the amount the machine asked for
        self.pin_checks: list[int] = []  # CheckPin requests made
        self.link_comes_up()

    # --- feeding events and checking each effect as it comes --------------------------------

    def feed(self, event: Event) -> list[Effect]:
        before = self.machine.state
        effects = self.machine.handle(event)
        if before in (FlowState.PIN, FlowState.MENU):
            assert CreateInvoices not in map(type, effects), "a sale started in the till menu"
        self.pin_checks += [e.request for e in effects if isinstance(e, CheckPin)]
        if isinstance(event, TimerFired):
            self.running.discard(event.name)
        for effect in effects:
            self.check(effect)
        return effects

    def check(self, effect: Effect) -> None:
        if isinstance(effect, Show) and isinstance(effect.screen, ShowInvoice):
            assert self.pos.detects_payments, f"QR shown while the BlinkPOS link is {self.pos}"
            assert effect.screen.degraded == (self.pos is LinkState.DEGRADED)
        elif isinstance(effect, Show) and isinstance(effect.screen, Expired):
            shown = self.machine.shown_sale_id
            assert shown not in self.settled, f"paid sale {shown} shown as expired"
        elif isinstance(effect, CreateInvoices):
            assert 1 <= effect.amount <= CONFIG.max_amount_sats
            assert effect.request not in self.requests + self.answered
            self.requests.append(effect.request)
            self.amounts[effect.request] = effect.amount
        elif isinstance(effect, StartTimer):
            self.timers_started.append(effect.name)
            self.running.add(effect.name)
        elif isinstance(effect, CancelTimer):
            self.running.discard(effect.name)
        elif isinstance(effect, WatchInvoice):
            self.watched.add(effect.sale_id)
        elif isinstance(effect, UnwatchInvoice):
            self.watched.discard(effect.sale_id)
        elif isinstance(effect, CancelSale):
            assert effect.sale_id in self.created_sales

    # --- rules ----------------------------------------------------------------------------------

    @rule(key=st.sampled_from(Key))
    def press(self, key: Key) -> None:
        self.feed(KeyPressed(key))

    @rule(key=st.sampled_from([Key.D1, Key.D2, Key.D0, Key.OK]), times=st.integers(1, 4))
    def type_and_confirm(self, key: Key, times: int) -> None:
        # Plain random keys rarely reach OK after digits; this makes sales common.
        for _ in range(times):
            self.feed(KeyPressed(key))
        self.feed(KeyPressed(Key.OK))

    @rule(
        link=st.sampled_from(Link),
        state=st.sampled_from(LinkState),
        reason=st.sampled_from(["", "socket silent", "HTTP 503"]),
    )
    def link_changes(self, link: Link, state: LinkState, reason: str) -> None:
        if link is Link.POS:
            self.pos = state
        self.feed(LinkChanged(link, state, reason))

    @precondition(lambda self: self.machine.state is FlowState.IDLE)
    @rule(amount=st.integers(1, CONFIG.max_amount_sats))
    def a_sale_is_made(self, amount: int) -> None:
        # The happy path in one step, so that QR, payment and forwarding states are common.
        for char in str(amount):
            self.feed(KeyPressed(Key.from_digit(int(char))))
        self.feed(KeyPressed(Key.OK))
        request = self.requests[-1]
        self.requests.remove(request)
        self.answered.append(request)
        self.created_sales.add(f"sale-{request}")
        self.sales.append(f"sale-{request}")
        self.feed(created(request, f"sale-{request}", amount))

    @precondition(lambda self: self.machine.state is FlowState.CREATING)
    @rule()
    def the_merchant_cancels_while_creating(self) -> None:
        # Its answer then arrives late (answer_a_request), which must be cancelled, not shown.
        self.feed(KeyPressed(Key.CANCEL))

    @rule()
    def link_comes_up(self) -> None:
        # Random link states rarely detect payments; recoveries keep sales flowing.
        self.pos = LinkState.UP
        self.feed(LinkChanged(Link.POS, LinkState.UP, ""))

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data(), ok=st.booleans(), retryable=st.booleans())
    def answer_a_request(self, data: st.DataObject, ok: bool, retryable: bool) -> None:
        request = data.draw(st.sampled_from(self.requests))
        sale_id = f"sale-{request}"
        self.requests.remove(request)
        self.answered.append(request)
        if ok:
            self.created_sales.add(sale_id)
            self.sales.append(sale_id)
            amount = self.amounts[request]
            self.feed(created(request, sale_id, amount))
        else:
            self.feed(failed(request, retryable=retryable))

    @rule(request=st.one_of(st.integers(-3, 0), st.integers(10_000, 10_010)), ok=st.booleans())
    def answer_a_request_never_made(self, request: int, ok: bool) -> None:
        self.expect_illegal(created(request, "sale-bogus") if ok else failed(request))

    @precondition(lambda self: bool(self.answered))
    @rule(data=st.data())
    def answer_a_request_twice(self, data: st.DataObject) -> None:
        request = data.draw(st.sampled_from(self.answered))
        self.expect_illegal(created(request, f"sale-{request}", self.amounts[request]))

    @rule(data=st.data(), amount=st.integers(1, 5000))
    def settle(self, data: st.DataObject, amount: int) -> None:
        sale_id = data.draw(st.sampled_from(self.sales))
        self.settled.add(sale_id)  # the journal said paid before the event was made
        self.feed(PaymentReceived(sale_id, amount))

    @precondition(lambda self: self.machine.shown_sale_id is not None)
    @rule()
    def the_customer_pays(self) -> None:
        sale_id = self.machine.shown_sale_id
        assert sale_id is not None
        self.settled.add(sale_id)
        self.feed(PaymentReceived(sale_id, 1))

    @rule(data=st.data(), outcome=st.sampled_from(["ok", "delayed", "hard"]), shown=st.booleans())
    def forward_result(self, data: st.DataObject, outcome: str, shown: bool) -> None:
        sale_id = self.machine.shown_sale_id if shown else None
        sale_id = sale_id or data.draw(st.sampled_from(self.sales))
        event: Event
        if outcome == "ok":
            event = ForwardSucceeded(sale_id, 1234)
        elif outcome == "delayed":
            event = ForwardDelayed(sale_id, "Blink unreachable")
        else:
            event = ForwardFailedHard(sale_id, "Balance too low", "Top up BlinkPOS")
        self.feed(event)

    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        sale_id = data.draw(st.sampled_from(self.sales))
        self.lapsed.add(sale_id)
        self.feed(SaleLapsed(sale_id))

    @precondition(lambda self: self.pin_checks)
    @rule(data=st.data(), accepted=st.booleans())
    def the_pin_guard_answers(self, data: st.DataObject, accepted: bool) -> None:
        request = data.draw(st.sampled_from(self.pin_checks))
        self.feed(PinChecked(request, accepted=accepted, retry_in=0.0 if accepted else 2.0))

    @rule(data=st.data())
    def fire_a_timer(self, data: st.DataObject) -> None:
        names = [*self.timers_started, "never-started"]
        self.feed(TimerFired(data.draw(st.sampled_from(names))))

    # --- helpers and invariants -------------------------------------------------------------

    def expect_illegal(self, event: Event) -> None:
        before = (self.machine.state, self.machine.screen, self.machine.links)
        try:
            self.machine.handle(event)
        except IllegalTransition:
            pass
        else:
            raise AssertionError(f"{event} was accepted")
        assert (self.machine.state, self.machine.screen, self.machine.links) == before

    @invariant()
    def a_paid_sale_on_screen_is_never_waiting_for_payment(self) -> None:
        if self.machine.shown_sale_id in self.settled:
            assert self.machine.state is not FlowState.WAITING

    @invariant()
    def no_qr_on_screen_without_detection(self) -> None:
        if isinstance(self.machine.screen, ShowInvoice):
            assert self.pos.detects_payments
            assert self.machine.state is FlowState.WAITING

    @invariant()
    def at_most_one_timer_runs(self) -> None:
        assert len(self.running) <= 1

    @invariant()
    def only_the_waiting_sale_is_watched(self) -> None:
        if self.machine.state in (FlowState.WAITING, FlowState.CHECKING):
            assert self.watched == {self.machine.shown_sale_id}
        else:
            assert self.watched == set()

    @invariant()
    def not_paid_is_only_ever_blinks_word(self) -> None:
        # The terminal's own timer only ever leads to CHECKING; TIMED_OUT needs Blink's EXPIRED.
        if self.machine.state is FlowState.TIMED_OUT:
            assert self.machine.shown_sale_id in self.lapsed


# No deadline: a slow Pi must not fail the suite (the flow's speed is not what is tested here).
PaymentFlow.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPaymentFlow = PaymentFlow.TestCase
