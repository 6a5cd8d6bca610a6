"""What each screen shows: plain frozen data, produced by the flow, drawn by ``render``.

The payment core emits ``Show(screen)`` with one of the ``Screen`` classes below. The display
task wraps it in a :class:`View` with the ambient status (links, battery) and the clock, and
renders it only when the picture changes. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from terminal.links import LinkState


@dataclass(frozen=True)
class Battery:
    """Battery gauge reading; absent on mains-powered units."""

    percent: int
    charging: bool = False
    low: bool = False  # below the low threshold: the icon says so (the warning came once)


@dataclass(frozen=True)
class Status:
    """Ambient state drawn on every screen (a status bar or corner icons)."""

    pos: LinkState = LinkState.CONNECTING
    merchant: LinkState = LinkState.OFF
    battery: Battery | None = None
    # Paid by customers, not yet forwarded to the merchant: shown until it is back to zero, so
    # a stall on flaky data sees what the network still owes it.
    in_flight_sats: int = 0


@dataclass(frozen=True)
class Idle:
    """Waiting for an amount; ``notice``: news worth a line (a late payment, say)."""

    merchant_name: str
    notice: str = ""


@dataclass(frozen=True)
class NotReady:
    """No payment detection: no invoice may be shown: ``reason`` why, ``action`` what to do."""

    reason: str
    action: str = ""


@dataclass(frozen=True)
class AmountEntry:
    """The merchant is typing an amount. ``digits`` is what was typed ("" shows 0)."""

    digits: str
    unit: str = "sats"
    message: str = ""  # e.g. "maximum 1,000,000 sats"
    fraction_digits: int = 0  # a currency's minor units: 3 5 0 reads 3.50
    title: str = ""  # e.g. "Tip" while a custom tip is typed


@dataclass(frozen=True)
class Creating:
    """Invoices are being made; nothing to scan yet."""

    amount_sats: int
    label: str = ""  # the amount as typed, in its currency ("3.85 EUR"), when not sats


@dataclass(frozen=True)
class TipChoice:
    """A tip is offered: each option on its number key (1: none, 2: 10 %, ..., a custom one)."""

    amount_label: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class ShowInvoice:
    """The QR code the customer scans; ``expires_at`` less the view's ``now`` is its time left.

    Both are on the terminal's monotonic clock: the countdown runs from the moment the invoice
    was made, whatever the wall clock (which a Pi without an RTC may have days wrong) says.
    """

    payment_request: str
    amount_sats: int
    expires_at: float
    degraded: bool = False  # detection is by slow polling: say so
    label: str = ""  # the amount as typed, in its currency ("3.85 EUR"), shown beside the sats


@dataclass(frozen=True)
class Paid:
    """The customer paid; the sale is being forwarded to the merchant."""

    amount_sats: int
    label: str = ""


@dataclass(frozen=True)
class Success:
    """The sale reached the merchant. Frames are animated by the view's ``frame``."""

    amount_sats: int


@dataclass(frozen=True)
class Checking:
    """The QR's time is up: Blink is asked whether it was paid before the screen says it was not."""

    amount_sats: int


@dataclass(frozen=True)
class Expired:
    """The invoice expired unpaid."""

    amount_sats: int


@dataclass(frozen=True)
class Error:
    """Something went wrong: ``title`` in brief, ``detail`` what happened, ``action`` what to do."""

    title: str
    detail: str = ""
    action: str = ""


@dataclass(frozen=True)
class PinEntry:
    """The admin PIN is asked: ``typed`` digits so far (drawn as dots, never as digits)."""

    typed: int
    message: str = ""  # "Wrong PIN", a wait, or why there is no menu
    warn: bool = False  # the message is a refusal


@dataclass(frozen=True)
class TillMenu:
    """A page of the till menu: a title, lines of text, and the keys that work on it.

    ``keys`` may name keys by role ("press CANCEL"); the screen draws this keypad's label.
    """

    title: str
    lines: tuple[str, ...]
    keys: str = ""


@dataclass(frozen=True)
class TestCard:
    """The self-test's card: a QR of ``qr_text`` laid out as an invoice's would be, captioned."""

    caption: str
    qr_text: str
    detail: str = ""  # shown instead of the QR on a panel that cannot show one


@dataclass(frozen=True)
class KeyTest:
    """The self-test's keypad: every key by its label, the ones pressed so far lit."""

    rows: tuple[tuple[str, ...], ...]
    pressed: frozenset[str] = frozenset()
    last: str | None = None


@dataclass(frozen=True)
class LowBattery:
    """The battery crossed the low threshold: said once, with a beep; then the icon says it."""

    percent: int


@dataclass(frozen=True)
class ShuttingDown:
    """The terminal is powering the unit off: ``reason`` why, ``detail`` what happens to the money.

    ``waiting`` is true while forwards are still being finished (sales are already refused).
    """

    reason: str
    detail: str = ""
    waiting: bool = False


@dataclass(frozen=True)
class Closed:
    """The terminal is shutting down."""

    message: str = "Terminal closed"


Screen = (
    Idle
    | NotReady
    | AmountEntry
    | Creating
    | TipChoice
    | ShowInvoice
    | Paid
    | Success
    | Checking
    | Expired
    | Error
    | Closed
    | LowBattery
    | ShuttingDown
    | PinEntry
    | TillMenu
    | TestCard
    | KeyTest
)


@dataclass(frozen=True)
class View:
    """Everything one frame depends on: screen, status bar, clock and animation frame."""

    screen: Screen
    status: Status = field(default_factory=Status)
    now: float = 0.0  # the terminal's monotonic clock (countdowns), never the wall clock
    frame: int = 0
