"""What the forwarder does next, decided with no I/O: the exactly-once rules as one function.

Given a received sale as the journal holds it, its forward attempts, what the last step observed
and Blink's time, :func:`next_step` names the next step. The rules (DESIGN "Exactly once"):

1. ``SUCCESS``/``ALREADY_PAID``, or the merchant invoice's status ``PAID``: done.
2. Any other answer to a pay request (``FAILURE``, ``PENDING``), or no answer at all: ask the
   merchant invoice's status before deciding anything. A late repeat of a paid invoice is
   answered ``FAILURE`` "Invoice is already paid", so a ``FAILURE`` proves nothing.
3. Status ``PENDING``: pay the *same* invoice again. Blink never pays an invoice twice, so this
   is always safe; after a setback it waits first (jittered exponential, capped).
4. Status ``EXPIRED``: unpaid for good. Replace it, but only once no pay request for it is
   younger than a safety margin, so a request lost in flight cannot land after the replacement
   is paid.
5. An invoice too close to its expiry is not paid; it is left to expire, then replaced (4).
6. After a crash (``Started``) with attempts on the current invoice: ask before paying.
7. Insufficient balance or a refused key: a hard failure the operator must see; retried slowly
   (the money is safe in BlinkPOS). A payout-guard refusal: a hard failure, not retried.

Time: every comparison with an expiry or with when a pay request left is made on **Blink's
clock** (``now``: the last answer's ``Date`` moved on monotonically; attempts carry Blink's time
when they left). The terminal's own wall clock, which a Pi without an RTC may have days wrong and
time sync may jump, decides nothing here. Until Blink's time is known (``now`` is None), the
policy only asks. No wait is longer than the in-flight margin itself, so a wrong estimate can
never leave a sale stuck for longer than that.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from terminal.blink.models import InvoiceStatus, PaymentStatus
from terminal.money.guard import EXPIRY_MARGIN_SECONDS
from terminal.money.sale import ForwardAttempt, Payout, PayoutRole, Sale, SaleState


@dataclass(frozen=True)
class PolicyConfig:
    """The policy's numbers; the defaults are for production."""

    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    hard_retry: float = 600.0  # no longer than max_wait
    # Longer than any request can be in flight (Blink's router gives up after 180 s).
    replace_safety: float = 600.0
    # No wait is longer than this (the margin itself): whatever a clock or a peer says, a sale
    # is looked at again within it, so a wrong estimate cannot leave it stuck for days.
    max_wait: float = 600.0
    expiry_margin: float = EXPIRY_MARGIN_SECONDS
    # After this many setbacks in a row (and every as many again) the operator is told, even
    # for faults that are retried at the normal pace (a FAILURE Blink keeps giving, an outage).
    report_after: int = 8


DEFAULT_POLICY = PolicyConfig()


class Action(enum.Enum):
    """Something the forwarder does against Blink."""

    PAY = "pay"
    ASK_STATUS = "ask_status"
    REPLACE = "replace"


class ForwardOutcome(enum.Enum):
    """How a forward stands, as reported to ``on_result``."""

    FORWARDED = "forwarded"  # the merchant has the money
    FAILING = "failing"  # a hard failure the operator must fix; still retrying, slowly
    DELAYED = "delayed"  # Blink keeps failing for now; retrying with backoff, money is safe
    HELD = "held"  # the payout guard refused to pay; the sale needs checking by hand
    NOT_RECEIVED = "not_received"  # nothing to forward: the customer has not paid


@dataclass(frozen=True)
class ForwardResult:
    """One report about one sale's forward."""

    sale_id: str
    outcome: ForwardOutcome
    detail: str = ""
    amount_sats: int = 0  # the forwarded amount (FORWARDED only)


# --- observations: what the last step saw --------------------------------------------------


@dataclass(frozen=True)
class Started:
    """Nothing seen yet in this run (a fresh forward, or the first after a restart)."""


@dataclass(frozen=True)
class PayAnswered:
    """Blink answered the pay request."""

    status: PaymentStatus
    detail: str = ""


@dataclass(frozen=True)
class PayLost:
    """The pay request got no usable answer (timeout, unreachable, 5xx, malformed)."""

    detail: str = ""


@dataclass(frozen=True)
class StatusAnswered:
    """Blink answered the status query for the current merchant invoice."""

    status: InvoiceStatus


@dataclass(frozen=True)
class CallLost:
    """A status query or a replacement got no usable answer."""

    action: Action
    detail: str = ""


@dataclass(frozen=True)
class Throttled:
    """Blink asked us to slow down (429 / TOO_MANY_REQUEST) during ``action``."""

    action: Action
    retry_after: float | None = None


@dataclass(frozen=True)
class HardFailure:
    """Insufficient balance, a rejected key or a missing scope: the operator must act."""

    detail: str


@dataclass(frozen=True)
class GuardRefused:
    """The payout guard refused the current merchant invoice."""

    detail: str


@dataclass(frozen=True)
class Replaced:
    """A replacement merchant invoice was made and journaled."""


Observation = (
    Started
    | PayAnswered
    | PayLost
    | StatusAnswered
    | CallLost
    | Throttled
    | HardFailure
    | GuardRefused
    | Replaced
)

# --- steps: what to do next ---------------------------------------------------------------


@dataclass(frozen=True)
class Do:
    """Carry out ``action`` now."""

    action: Action


@dataclass(frozen=True)
class Done:
    """The merchant has the money: journal ``forwarded``."""


@dataclass(frozen=True)
class Wait:
    """Sleep ``seconds``, then carry out ``then``."""

    seconds: float
    then: Action


@dataclass(frozen=True)
class FailHard:
    """Tell the operator; retry ``then`` after ``retry_in`` seconds, or never if None."""

    reason: str
    retry_in: float | None
    then: Action = Action.ASK_STATUS


Step = Do | Done | Wait | FailHard


def is_setback(observation: Observation) -> bool:
    """True if ``observation`` means no progress, so the next retry should back off further."""
    match observation:
        case PayAnswered(status=status):
            return status not in (PaymentStatus.SUCCESS, PaymentStatus.ALREADY_PAID)
        case PayLost() | CallLost() | Throttled() | HardFailure():
            return True
        case _:
            return False


def should_report(failures: int, config: PolicyConfig = DEFAULT_POLICY) -> bool:
    """True when ``failures`` setbacks in a row are enough to tell the operator (again)."""
    return failures > 0 and failures % config.report_after == 0


def backoff(failures: int, jitter: float, config: PolicyConfig = DEFAULT_POLICY) -> float:
    """Seconds to wait after ``failures`` setbacks: exponential, capped, jittered by [0, 1)."""
    exponent = min(max(failures - 1, 0), 30)
    delay = min(config.backoff_cap, config.backoff_base * 2.0**exponent)
    # Full-range jitter would allow ~0 s waits; half-range keeps the backoff meaningful while
    # still spreading terminals that lost the network together.
    return delay * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


def next_step(
    sale: Sale,
    attempts: list[ForwardAttempt],
    observation: Observation,
    *,
    now: float | None,
    failures: int = 0,
    jitter: float = 0.5,
    config: PolicyConfig = DEFAULT_POLICY,
    role: PayoutRole = PayoutRole.MERCHANT,
) -> Step:
    """The next step for forwarding ``sale``'s ``role`` payout, per this module's rules.

    ``now`` is Blink's time (None until an answer has told it). ``Done`` means this payout is
    paid (a sale with a tip recipient has two payouts, each forwarded by these same rules).
    """
    step = _next_step(sale, sale.payout(role), attempts, observation, now, failures, jitter, config)
    if isinstance(step, Wait):
        return Wait(min(max(step.seconds, 0.0), config.max_wait), step.then)
    return step


def _next_step(  # noqa: PLR0912 - one case per observation: the rules read as a table
    sale: Sale,
    payout: Payout | None,
    attempts: list[ForwardAttempt],
    observation: Observation,
    now: float | None,
    failures: int,
    jitter: float,
    config: PolicyConfig,
) -> Step:
    if sale.state is SaleState.FORWARDED or (payout is not None and payout.done):
        return Done()
    if sale.state is not SaleState.RECEIVED or payout is None or payout.invoice is None:
        return FailHard(f"sale {sale.id} is {sale.state.value}: nothing to forward", None)
    merchant = payout.invoice  # the payout's current invoice (the merchant's, or the tip's)
    tried = [a for a in attempts if a.merchant_hash == merchant.hash]
    near_expiry = now is None or merchant.expires_at - now < config.expiry_margin
    wait = backoff(failures, jitter, config)

    match observation:
        case Started():
            # Blink's time unknown, or attempts already made: ask before anything else.
            return Do(Action.ASK_STATUS) if tried or near_expiry else Do(Action.PAY)
        case PayAnswered(status=PaymentStatus.SUCCESS | PaymentStatus.ALREADY_PAID):
            return Done()
        case PayAnswered(status=PaymentStatus.PENDING):
            return Wait(wait, Action.ASK_STATUS)
        case PayAnswered() | PayLost():
            return Do(Action.ASK_STATUS)
        case StatusAnswered(status=InvoiceStatus.PAID):
            return Done()
        case StatusAnswered(status=InvoiceStatus.PENDING):
            if near_expiry:
                # Too late to pay safely (or Blink's time unknown): let Blink expire it, then
                # replace it. Blink's EXPIRED, not our clock, says when.
                left = 0.0 if now is None else merchant.expires_at - now
                return Wait(max(left, 0.0) + 1.0, Action.ASK_STATUS)
            return Do(Action.PAY) if failures == 0 else Wait(wait, Action.PAY)
        case StatusAnswered(status=InvoiceStatus.EXPIRED):
            youngest = max((_left_at(a, now) for a in tried), default=None)
            if youngest is not None and (now is None or now - youngest < config.replace_safety):
                since = 0.0 if now is None else now - youngest
                return Wait(config.replace_safety - since, Action.ASK_STATUS)
            return Do(Action.REPLACE)
        case CallLost(action=action):
            return Wait(wait, action)
        case Throttled(action=action, retry_after=retry_after):
            # A throttled pay request may still have been carried out: ask, don't repeat.
            then = Action.ASK_STATUS if action is Action.PAY else action
            return Wait(max(retry_after or 0.0, wait), then)
        case HardFailure(detail=detail):
            return FailHard(detail, config.hard_retry)
        case GuardRefused(detail=detail):
            if near_expiry:
                return Do(Action.ASK_STATUS)
            return FailHard(detail, None)
        case Replaced():
            return Do(Action.PAY)
    raise AssertionError(f"unhandled observation {observation!r}")


def _left_at(attempt: ForwardAttempt, now: float | None) -> float:
    """When ``attempt`` left, on Blink's clock (an attempt without that time: just now)."""
    if attempt.started_blink is not None:
        return attempt.started_blink
    # From a journal older than Blink-clock timing: the forwarder fills in when it first saw it,
    # so this only happens with Blink's time unknown, and then nothing is replaced anyway.
    return now if now is not None else float("inf")  # pragma: no cover
