"""The till menu's plain data: its events, its effects, and what the flow remembers of it.

The menu (admin PIN, today's figures, the last sales, "retry forwards now", reprint) is part of
the screen's flow, so it is pure like the rest: the flow asks with an effect, the shell carries
it out off the event loop (the PIN's hash and the journal's queries are slow) and answers with an
event. Nothing here touches the money: "retry forwards" only asks the forwarder to re-ask its
policy, whose rules stay as they are.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from terminal.till import TillSummary

# --- events: what the shell answers ------------------------------------------------------------


@dataclass(frozen=True)
class PinChecked:
    """The guard's verdict on the PIN of :class:`CheckPin` ``request``.

    ``checked`` is False when the guard refused it unchecked (locked after wrong PINs);
    ``retry_in`` is how many seconds until it checks a PIN again.
    """

    request: int
    accepted: bool
    checked: bool = True
    retry_in: float = 0.0


@dataclass(frozen=True)
class TillLoaded:
    """The journal's figures for the menu, read on the journal's thread."""

    summary: TillSummary


@dataclass(frozen=True)
class BalanceRead:
    """The merchant link read the merchant's BTC balance (the merchant's READ key is set)."""

    sats: int


@dataclass(frozen=True)
class MenuActionDone:
    """A menu action (retry forwards, reprint) was carried out; ``message`` says how it went."""

    message: str


MenuEvent = PinChecked | TillLoaded | BalanceRead | MenuActionDone

# --- effects: what the flow asks -------------------------------------------------------------


@dataclass(frozen=True)
class CheckPin:
    """Check ``pin`` against the admin PIN's hash; answer ``PinChecked(request)``.

    The PIN is left out of ``repr``, so it cannot reach a log line by way of an effect.
    """

    request: int
    pin: str = field(repr=False)


@dataclass(frozen=True)
class LoadTill:
    """Read today's totals, the sats in flight and the last sales; answer ``TillLoaded``."""


@dataclass(frozen=True)
class RefreshBalance:
    """Ask the merchant link for the balance now; it answers ``BalanceRead`` if it can."""


@dataclass(frozen=True)
class RetryForwards:
    """Make every waiting forward ask its policy again now; answer ``MenuActionDone``."""


@dataclass(frozen=True)
class ReprintReceipt:
    """Print the last receipt again, marked as a copy; answer ``MenuActionDone``."""


MenuEffect = CheckPin | LoadTill | RefreshBalance | RetryForwards | ReprintReceipt

# --- the flow's memory of the menu -------------------------------------------------------------


class MenuPage(enum.Enum):
    """Which page of the open menu is shown."""

    TODAY = "today"
    SALES = "sales"


@dataclass(frozen=True)
class MenuMemory:
    """What the flow keeps about the menu. Frozen: handlers replace it whole, so a handler that
    raises leaves the machine's snapshot untouched."""

    taps: int = 0  # CANCEL/BACK presses in a row on the idle screen (three open the menu)
    pin: str = field(default="", repr=False)  # the digits typed so far, never shown or logged
    checking: int | None = None  # the CheckPin request awaiting its answer
    last_request: int = 0
    message: str = ""  # on the PIN screen: wrong PIN, wait...
    page: MenuPage = MenuPage.TODAY
    offset: int = 0  # the first sale shown on the sales page
    summary: TillSummary | None = None
    note: str = ""  # the last action's outcome, on the today page
    balance: int | None = None  # the merchant's balance in sats, when the link read it
