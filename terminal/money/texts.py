"""What the merchant reads about the money path, with no I/O: titles and what to do.

The money path's I/O modules report facts (an exception, a forward result); this module turns
them into the short texts of the merchant's screen, in one place, so they can be read and
tested together.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.errors import (
    BlinkError,
    BlinkUnreachable,
    KeyRejected,
    OverMaximum,
    PayoutGuardError,
    RateLimited,
    RateUnavailable,
    ScopeDenied,
)
from terminal.flow.events import Event, ForwardDelayed, ForwardFailedHard, ForwardSucceeded
from terminal.money.policy import ForwardOutcome, ForwardResult


@dataclass(frozen=True)
class Trouble:
    """A problem as the merchant's screen states it."""

    title: str
    action: str
    retryable: bool  # whether OK may try the same thing again


STORAGE_TROUBLE = Trouble("Storage error", "Call the operator", retryable=False)


def creation_trouble(exc: BlinkError | PayoutGuardError) -> Trouble:
    """Why a sale's invoices could not be made, and what to do about it."""
    if isinstance(exc, OverMaximum):
        return Trouble("Over the maximum", "Type a smaller amount", retryable=False)
    if isinstance(exc, RateUnavailable):
        return Trouble("No exchange rate", "Try again in a moment", retryable=True)
    if isinstance(exc, PayoutGuardError):
        # Blink's answer is not exactly this sale's: refused before anyone could pay it.
        return Trouble("Wrong invoice", "Try again; if it repeats, call the operator", True)
    if isinstance(exc, KeyRejected):
        return Trouble("Key rejected", "Replace the BlinkPOS key", retryable=False)
    if isinstance(exc, ScopeDenied):
        return Trouble("Key lacks scope", f"Give the key the {exc.scope} scope", retryable=False)
    if isinstance(exc, RateLimited):
        return Trouble("Too many sales", "Wait a minute, then try again", retryable=True)
    if isinstance(exc, BlinkUnreachable):
        return Trouble("Blink unreachable", "Check the network, then try again", retryable=True)
    return Trouble("Invoice refused", "Try again; if it repeats, call the operator", retryable=True)


def forward_event(result: ForwardResult) -> Event | None:
    """The screen's news of a forward result; None when there is nothing to show."""
    match result.outcome:
        case ForwardOutcome.FORWARDED:
            return ForwardSucceeded(result.sale_id, result.amount_sats)
        case ForwardOutcome.DELAYED:
            return ForwardDelayed(result.sale_id, result.detail)
        case ForwardOutcome.FAILING:
            # The merchant needs to know the money is safe, and who can fix it.
            return ForwardFailedHard(
                result.sale_id, "Forward failing", "Money is safe on BlinkPOS: call the operator"
            )
        case ForwardOutcome.HELD:
            return ForwardFailedHard(result.sale_id, "Forward refused", "Call the operator")
        case ForwardOutcome.NOT_RECEIVED:
            return None  # nothing was owed, nothing to show
    raise AssertionError(f"unhandled forward outcome {result.outcome!r}")  # pragma: no cover
