"""A driver that feeds a payment Machine events, keeps every effect and follows its timers."""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from terminal.flow import (
    CancelTimer,
    CreateInvoices,
    Effect,
    Event,
    FlowConfig,
    FlowState,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    Link,
    LinkChanged,
    Machine,
    PaymentReceived,
    SaleLapsed,
    StartTimer,
    TimerFired,
)
from terminal.flow.menu_data import CheckPin, PinChecked
from terminal.keys import Key
from terminal.links import LinkState

E = TypeVar("E")

CONFIG = FlowConfig(
    merchant_name="Corner Café",
    max_amount_sats=100_000,
    invoice_expiry_seconds=600.0,
    done_seconds=5.0,
    message_seconds=20.0,
    menu_seconds=60.0,
    has_pin=True,
)

_KEYS = {"o": Key.OK, "c": Key.CANCEL, "b": Key.BACK, "r": Key.RECONNECT, "m": Key.MENU}


def key_of(char: str) -> Key:
    """The key a script character stands for: a digit, o(k), c(ancel), b(ack), r(econnect),
    m(enu)."""
    return Key.from_digit(int(char)) if char.isdigit() else _KEYS[char]


def one(effects: list[Effect], kind: type[E]) -> E:
    """The one effect of ``kind`` in ``effects`` (fails the test if there are none or several)."""
    found = [e for e in effects if isinstance(e, kind)]
    assert len(found) == 1, f"expected one {kind.__name__} in {effects}"
    return found[0]


def kinds(effects: list[Effect]) -> list[type]:
    """The effect types, in order."""
    return [type(e) for e in effects]


def created(request: int, sale_id: str = "sale-1", amount: int = 1234) -> InvoicesCreated:
    """A successful answer to CreateInvoices ``request``."""
    return InvoicesCreated(
        sale_id=sale_id,
        amount_sats=amount,
        payment_request=f"lnbc{amount}n1p{sale_id}",
        payment_hash=f"hash-{sale_id}",
        expires_in=600.0,
        request=request,
        made_at=1_000.0,  # the monotonic clock: the QR's countdown runs from here
    )


def failed(request: int, *, retryable: bool = True) -> InvoiceCreationFailed:
    """A failed answer to CreateInvoices ``request``."""
    return InvoiceCreationFailed(
        sale_id=None,
        title="Blink unreachable",
        detail="no answer within 10 s",
        action="",
        retryable=retryable,
        request=request,
    )


class Driver:
    """A Machine plus what a shell would remember: every effect, and the timers running."""

    def __init__(self, config: FlowConfig = CONFIG) -> None:
        self.machine = Machine(config)
        self.effects: list[Effect] = []
        self.timers: set[str] = set()

    def state(self) -> FlowState:
        """The machine's state (a call, so that type checkers do not narrow it across events)."""
        return self.machine.state

    def handle(self, event: Event) -> list[Effect]:
        """Feed ``event``; follow the timers; return its effects."""
        if isinstance(event, TimerFired):
            self.timers.discard(event.name)
        effects = self.machine.handle(event)
        for effect in effects:
            if isinstance(effect, StartTimer):
                self.timers.add(effect.name)
            elif isinstance(effect, CancelTimer):
                self.timers.discard(effect.name)
        self.effects += effects
        return effects

    def timer(self) -> str:
        """The one running timer's name."""
        assert len(self.timers) == 1, self.timers
        return next(iter(self.timers))

    def press(self, script: str) -> list[Effect]:
        """Press each key of ``script``; return every effect, in order."""
        effects: list[Effect] = []
        for char in script:
            effects += self.handle(KeyPressed(key_of(char)))
        return effects

    def pos(self, state: LinkState, reason: str = "") -> list[Effect]:
        """Tell the machine the BlinkPOS link changed."""
        return self.handle(LinkChanged(Link.POS, state, reason))

    def merchant(self, state: LinkState) -> list[Effect]:
        """Tell the machine the merchant link changed."""
        return self.handle(LinkChanged(Link.MERCHANT, state, ""))

    def pin_request(self) -> int:
        """The request of the last PIN check asked for (0 if none)."""
        checks = [e.request for e in self.effects if isinstance(e, CheckPin)]
        return checks[-1] if checks else 0

    def start_sale(self, digits: str = "1234") -> CreateInvoices:
        """Type ``digits`` and OK: the machine asks for invoices."""
        return one(self.press(digits + "o"), CreateInvoices)


TIPS = dataclasses.replace(CONFIG, tips_offered=True)  # presets 10, 15, 20 % and a custom tip


def ready(config: FlowConfig = CONFIG) -> Driver:
    """A machine whose BlinkPOS link is up: IDLE."""
    driver = Driver(config)
    driver.pos(LinkState.UP)
    assert driver.state() is FlowState.IDLE
    return driver


def waiting(sale_id: str = "sale-1", amount: int = 1234) -> Driver:
    """A machine showing the QR of ``sale_id``."""
    driver = ready()
    driver.handle(created(driver.start_sale(str(amount)).request, sale_id, amount))
    assert driver.state() is FlowState.WAITING
    return driver


def driver_in(state: FlowState) -> Driver:
    """A machine in ``state`` that also has one cancelled CreateInvoices (request 1) still due.

    The sale on screen, where there is one, is ``sale-2`` for 1234 sats; ERROR is a retryable
    creation failure.
    """
    driver = ready(TIPS if state in (FlowState.TIPPING, FlowState.TIP_ENTRY) else CONFIG)
    if state in (FlowState.TIPPING, FlowState.TIP_ENTRY):
        driver.press("5o")  # the amount in: the tip is offered
        driver.press("1")  # none: the sale begins (request 1) ...
        driver.press("c")  # ... and is cancelled while its invoices are made
        driver.press("12o")
        if state is FlowState.TIP_ENTRY:
            driver.press("5")  # "other": a tip typed by hand
        assert driver.state() is state
        return driver
    assert driver.start_sale().request == 1
    driver.press("c")
    if state is FlowState.NOT_READY:
        driver.pos(LinkState.DOWN, "no route to host")
    elif state is FlowState.ENTERING:
        driver.press("12")
    elif state is FlowState.CREATING:
        driver.start_sale()
    elif state is FlowState.ERROR:
        driver.handle(failed(driver.start_sale().request))
    elif state in (FlowState.PIN, FlowState.MENU):
        driver.press("m1234o")  # a PIN check is awaited in PIN
        if state is FlowState.MENU:
            driver.handle(PinChecked(driver.pin_request(), accepted=True))
    elif state is not FlowState.IDLE:
        driver.handle(created(driver.start_sale().request, "sale-2"))
        if state in (FlowState.FORWARDING, FlowState.DONE):
            driver.handle(PaymentReceived("sale-2", 1234))
        if state is FlowState.DONE:
            driver.handle(ForwardSucceeded("sale-2", 1234))
        if state in (FlowState.CHECKING, FlowState.TIMED_OUT):
            driver.handle(TimerFired(driver.timer()))
        if state is FlowState.TIMED_OUT:
            driver.handle(SaleLapsed("sale-2"))
    assert driver.state() is state
    return driver
