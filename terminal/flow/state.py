"""The payment core's states, its configuration, and the mutable record the handlers share."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from terminal.flow.menu_data import MenuMemory
from terminal.links import LinkState
from terminal.money.pricing import format_minor
from terminal.screens.model import NotReady, Screen

if TYPE_CHECKING:
    from terminal.flow.effects import Effect


class FlowState(enum.Enum):
    """Where the screen's flow is, as the merchant would describe it.

    These are the screen's states, not the sale's (:class:`terminal.money.sale.SaleState`) nor
    Blink's (:class:`terminal.blink.models.InvoiceStatus`): a sale the screen gave up on may still
    be paid and forwarded.
    """

    NOT_READY = "not ready"  # no live payment detection on the BlinkPOS link: no QR may be shown
    IDLE = "idle"
    ENTERING = "entering"  # an amount is being typed
    TIPPING = "tipping"  # the amount is in: a tip is offered (presets on number keys)
    TIP_ENTRY = "tip entry"  # a custom tip is being typed
    CREATING = "creating"  # invoices are being made
    WAITING = "waiting"  # the QR is up (or hidden while the link is down: the sale stays open)
    CHECKING = "checking"  # the QR's time is up: Blink is asked if it was paid before saying no
    FORWARDING = "forwarding"  # the customer paid; "sending to the merchant" is on screen
    DONE = "done"  # forwarded: success shown until a key or a timer
    TIMED_OUT = "timed out"  # Blink says the QR's invoice expired unpaid: until a key or a timer
    ERROR = "error"  # something needs the merchant: shown until a key (or a timer)
    PIN = "pin"  # the admin PIN is asked before the till menu opens: no sale can start
    MENU = "menu"  # the till menu: figures and actions, no sale can start, no QR is shown


@dataclass(frozen=True)
class Outcome:
    """What a transition handler decided: the effects to carry out, and the state to move to.

    ``to`` is None to stay. The machine checks ``to`` against the table before it moves.
    """

    effects: list[Effect] = field(default_factory=list)
    to: FlowState | None = None

    def then(self, more: list[Effect]) -> Outcome:
        """This outcome with ``more`` effects after its own."""
        return Outcome([*self.effects, *more], self.to)

    def after(self, first: list[Effect]) -> Outcome:
        """This outcome with ``first`` carried out before its own effects."""
        return Outcome([*first, *self.effects], self.to)


@dataclass(frozen=True)
class FlowConfig:
    """What the payment core needs to know about this terminal."""

    merchant_name: str
    max_amount_sats: int
    invoice_expiry_seconds: float = 15 * 60  # the expiry the shell asks Blink for
    done_seconds: float = 10.0  # success screen, then back to idle
    message_seconds: float = 30.0  # timed-out and retryable-error screens
    currency: str = "SAT"  # what the cashier types in: sats, or a currency's minor units
    fraction_digits: int = 0  # the currency's: 3 5 0 is 3.50 EUR; JPY has none
    tips_offered: bool = False  # after the amount, a tip is offered
    tip_percents: tuple[int, ...] = (10, 15, 20)  # the presets, on keys 2, 3, 4 (1: none)
    tip_custom: bool = True  # also offer a tip typed by hand, on the key after the presets
    menu_seconds: float = 60.0  # the PIN screen and the menu close after this long without a key
    has_pin: bool = False  # an admin PIN is configured: without one the menu stays shut
    has_printer: bool = False  # a receipt printer is configured: the menu offers a reprint

    @property
    def in_sats(self) -> bool:
        """True when amounts are typed in sats."""
        return self.currency == "SAT"

    @property
    def max_typed(self) -> int:
        """The largest amount the keypad takes (sats, or minor units; Blink checks the sats)."""
        return self.max_amount_sats if self.in_sats else 99_999_999

    def label(self, typed: int) -> str:
        """An amount as typed, as the cashier reads it ("3.50 EUR"); "" when typed in sats."""
        return "" if self.in_sats else format_minor(typed, self.fraction_digits, self.currency)

    def unit(self) -> str:
        """The entry screen's unit line."""
        return "sats" if self.in_sats else self.currency

    def __post_init__(self) -> None:
        # ValueError, not ConfigError: terminal.config already holds max_amount_sats and
        # invoice_expiry_minutes to positive bounds, and the other timings are not settings,
        # so a bad value here is a bug in the code that built this, not in the TOML.
        if self.max_amount_sats < 1:
            raise ValueError(
                f"FlowConfig.max_amount_sats must be at least 1, not {self.max_amount_sats}"
            )
        for name in ("invoice_expiry_seconds", "done_seconds", "message_seconds", "menu_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FlowConfig.{name} must be positive, not {getattr(self, name)}")


@dataclass(frozen=True)
class ShownSale:
    """The sale whose invoice was put on screen (WAITING, and FORWARDING/DONE/TIMED_OUT/ERROR)."""

    sale_id: str
    amount_sats: int
    payment_request: str
    payment_hash: str
    expires_at: float  # monotonic seconds (the view's clock), never compared with a wall clock
    label: str = ""  # the amount as typed in a currency, tip included ("3.85 EUR")


def not_ready_screen(pos: LinkState, reason: str = "") -> NotReady:
    """The NotReady screen for a BlinkPOS link that cannot detect payments, saying what to do."""
    default, action = _NOT_READY_TEXT.get(pos, ("Blink is not reachable", "Wait a moment"))
    return NotReady(reason=reason or default, action=action)


_NOT_READY_TEXT: dict[LinkState, tuple[str, str]] = {
    LinkState.CONNECTING: ("Connecting to Blink", "Wait a moment"),
    LinkState.DOWN: ("No connection to Blink", "Check the network, then press RECONNECT"),
    LinkState.FAULT: (
        "Blink refused payment detection",
        "Call the operator; the terminal keeps trying",
    ),
    LinkState.REJECTED: (
        "Blink refused the BlinkPOS key",
        "Replace the BlinkPOS key file, then restart the terminal",
    ),
    LinkState.OFF: (
        "BlinkPOS is not configured",
        "Set [blinkpos] key_file in the configuration",
    ),
}


@dataclass
class Context:
    """Everything the handlers read and change; each Machine owns one."""

    config: FlowConfig
    state: FlowState = FlowState.NOT_READY
    pos: LinkState = LinkState.CONNECTING
    merchant: LinkState = LinkState.OFF
    pos_reason: str = ""
    digits: str = ""
    next_request: int = 1
    pending: int | None = None  # the CreateInvoices the screen waits for (only in CREATING)
    pending_amount: int = 0
    pending_tip: int = 0
    tip_digits: str = ""  # a custom tip being typed (TIP_ENTRY)
    abandoned: set[int] = field(default_factory=set)  # answers still due for cancelled requests
    sale: ShownSale | None = None
    retry_amount: int | None = None  # ERROR after a retryable creation failure: OK tries again
    retry_tip: int = 0
    timer: str | None = None  # the one running timer (expiry in WAITING, message elsewhere)
    notice: str = ""  # a late payment's news, shown on the idle screen until the next key
    timer_serial: int = 0
    screen: Screen = field(default_factory=lambda: not_ready_screen(LinkState.CONNECTING))
    menu: MenuMemory = field(default_factory=MenuMemory)  # frozen: replaced whole, never changed
