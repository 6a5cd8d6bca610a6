"""An in-memory Blink for forwarder tests: pays an invoice at most once, and misbehaves on cue.

It keeps Blink's rules that exactly-once depends on (API-NOTES §5, §7): an invoice is paid at
most once; the same wallet repeating a paid invoice within ~5 min gets ``ALREADY_PAID``, anyone
later gets ``FAILURE`` "Invoice is already paid"; an expired invoice cannot be paid. Faults are
queued per operation and consumed in order; a request that is "delayed" was accepted while its
invoice was valid and settles later, even if the invoice has expired by then, which is the race
the replacement safety margin exists for.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass, field

import bolt11
from bolt11 import Bolt11, MilliSatoshi, TagChar, Tags
from coincurve import PrivateKey

from terminal.blink.invoice import decode_invoice
from terminal.blink.models import (
    BlinkErrorInfo,
    Invoice,
    InvoiceStatus,
    PaymentOutcome,
    PaymentStatus,
)
from terminal.errors import BlinkUnreachable, InsufficientBalance, MalformedAnswer, RateLimited
from terminal.sandbox.rules import ALREADY_PAID_WINDOW_S, repeat_is_already_paid

_NODE_KEY = PrivateKey()
NODE_ID = _NODE_KEY.public_key.format().hex()


class SimulatedCrash(BaseException):
    """The terminal "lost power" in the middle of a call (not an Exception: nothing catches it)."""


def make_invoice(amount_sats: int, *, now: float, expiry: int, memo: str = "sale") -> Invoice:
    """A real, signed BOLT11 invoice (what Blink would hand back)."""
    payment_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    tags = Tags()
    tags.add(TagChar.payment_hash, payment_hash)
    tags.add(TagChar.payment_secret, secrets.token_hex(32))
    tags.add(TagChar.description, memo)
    tags.add(TagChar.expire_time, expiry)
    invoice = Bolt11(
        currency="bc", date=int(now), tags=tags, amount_msat=MilliSatoshi(amount_sats * 1000)
    )
    request = bolt11.encode(invoice, _NODE_KEY.to_hex())
    return Invoice(
        payment_request=request,
        payment_hash=payment_hash,
        satoshis=amount_sats,
        expires_at=int(now) + expiry,
        external_id=None,
    )


class FakeClock:
    """Simulated time: ``sleep`` moves it forward at once."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance the clock, then let other tasks run."""
        assert seconds >= 0
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class _Held:
    invoice: Invoice
    wallet_id: str
    paid_at: float | None = None
    paid_by: str | None = None


@dataclass
class FakeBlink:
    """A ForwardApi with Blink's payment rules and a queue of faults per operation.

    Faults for ``pay``: ``unreachable`` (not carried out), ``lost`` (carried out, answer lost),
    ``429`` / ``429-after`` (throttled, before or after carrying it out), ``malformed-after``,
    ``failure`` (a temporary FAILURE, not carried out), ``insufficient``, ``delayed`` (lost in
    flight, settles ``delay`` seconds later), ``crash-before`` / ``crash-after``, ``hang``.
    For ``status``: ``unreachable``, ``429``, ``malformed``, ``crash``. For ``create``:
    ``unreachable``, ``lost`` (made, answer lost), ``429``, ``crash-after``.
    """

    clock: FakeClock
    delay: float = 120.0
    already_paid_window: float = ALREADY_PAID_WINDOW_S
    replacement_expiry: int | None = None
    faults: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    invoices: dict[str, _Held] = field(default_factory=dict)
    payments: list[tuple[str, str]] = field(default_factory=list)  # (hash, payer wallet)
    created: set[str] = field(default_factory=set)  # hashes the terminal asked for
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _in_flight: list[tuple[float, str, str]] = field(default_factory=list)

    def blink_now(self) -> float | None:
        """Blink's own time: the true time of this simulation, whatever the terminal's says."""
        return self.clock.now

    async def node_ids(self) -> frozenset[str]:
        """Blink's node key: the one every invoice here is signed with."""
        return frozenset({NODE_ID})

    def queue(self, operation: str, *faults: str) -> None:
        """Make the next calls of ``operation`` misbehave, in this order."""
        self.faults[operation].extend(faults)

    def payments_for(self, payment_hash: str) -> int:
        """How many times the invoice was paid (Blink's rule: at most once)."""
        return sum(1 for h, _ in self.payments if h == payment_hash)

    def settle_in_flight(self, until: float | None = None) -> None:
        """Let delayed requests due by ``until`` (default: all) land."""
        due = [f for f in self._in_flight if until is None or f[0] <= until]
        self._in_flight = [f for f in self._in_flight if f not in due]
        for _, payment_hash, wallet_id in sorted(due):
            self._settle(payment_hash, wallet_id, check_expiry=False)

    def _fault(self, operation: str) -> str | None:
        self.settle_in_flight(self.clock.now)
        pending = self.faults[operation]
        return pending.popleft() if pending else None

    def _settle(self, payment_hash: str, wallet_id: str, *, check_expiry: bool) -> PaymentOutcome:
        held = self.invoices.get(payment_hash)
        if held is None:
            return PaymentOutcome(PaymentStatus.FAILURE, (BlinkErrorInfo("bad invoice"),))
        now = self.clock.now
        if held.paid_at is not None:
            same = held.paid_by == wallet_id
            if repeat_is_already_paid(same, held.paid_at, now, self.already_paid_window):
                return PaymentOutcome(PaymentStatus.ALREADY_PAID)
            info = BlinkErrorInfo("Invoice is already paid", "LIGHTNING_PAYMENT_ERROR")
            return PaymentOutcome(PaymentStatus.FAILURE, (info,))
        if check_expiry and now >= held.invoice.expires_at:
            info = BlinkErrorInfo(
                "Invoice already expired, or has bad payment hash", "LIGHTNING_PAYMENT_ERROR"
            )
            return PaymentOutcome(PaymentStatus.FAILURE, (info,))
        held.paid_at, held.paid_by = now, wallet_id
        self.payments.append((payment_hash, wallet_id))
        return PaymentOutcome(PaymentStatus.SUCCESS)

    # --- the ForwardApi -------------------------------------------------------------------

    async def pay_invoice(
        self, wallet_id: str, payment_request: str, *, memo: str | None = None
    ) -> PaymentOutcome:
        """Pay an invoice, at most once, unless a fault says otherwise."""
        self.requests["pay"] += 1
        fault = self._fault("pay")
        payment_hash = decode_invoice(payment_request).payment_hash
        match fault:
            case "unreachable":
                raise BlinkUnreachable("cannot reach Blink (fake)")
            case "429":
                raise RateLimited("slow down (fake)", retry_after=30.0)
            case "failure":
                info = BlinkErrorInfo("Temporary failure when trying to pay, please retry payment")
                return PaymentOutcome(PaymentStatus.FAILURE, (info,))
            case "insufficient":
                raise InsufficientBalance("balance is too low", "INSUFFICIENT_BALANCE")
            case "crash-before":
                raise SimulatedCrash
            case "hang":
                await asyncio.Event().wait()
            case "delayed":
                held = self.invoices.get(payment_hash)
                if held is not None and self.clock.now < held.invoice.expires_at:
                    self._in_flight.append((self.clock.now + self.delay, payment_hash, wallet_id))
                raise BlinkUnreachable("timed out (fake)")
        outcome = self._settle(payment_hash, wallet_id, check_expiry=True)
        match fault:
            case "lost":
                raise BlinkUnreachable("connection reset (fake)")
            case "429-after":
                raise RateLimited("slow down (fake)", retry_after=5.0)
            case "malformed-after":
                raise MalformedAnswer("not JSON (fake)")
            case "crash-after":
                raise SimulatedCrash
        return outcome

    async def invoice_status(self, payment_hash: str) -> InvoiceStatus:
        """PAID, EXPIRED or PENDING, as Blink would say it now."""
        self.requests["status"] += 1
        match self._fault("status"):
            case "unreachable":
                raise BlinkUnreachable("cannot reach Blink (fake)")
            case "429":
                raise RateLimited("slow down (fake)", retry_after=10.0)
            case "malformed":
                raise MalformedAnswer("no status (fake)")
            case "crash":
                raise SimulatedCrash
        held = self.invoices[payment_hash]
        if held.paid_at is not None:
            return InvoiceStatus.PAID
        if self.clock.now >= held.invoice.expires_at:
            return InvoiceStatus.EXPIRED
        return InvoiceStatus.PENDING

    async def create_invoice_on_behalf(
        self,
        recipient_wallet_id: str,
        amount_sats: int,
        *,
        memo: str | None = None,
        expires_in_minutes: int | None = None,
        external_id: str | None = None,
    ) -> Invoice:
        """Make a real invoice for ``recipient_wallet_id``."""
        self.requests["create"] += 1
        fault = self._fault("create")
        match fault:
            case "unreachable":
                raise BlinkUnreachable("cannot reach Blink (fake)")
            case "429":
                raise RateLimited("too many invoices (fake)", retry_after=60.0)
        expiry = self.replacement_expiry or (expires_in_minutes or 240) * 60
        invoice = make_invoice(amount_sats, now=self.clock.now, expiry=expiry, memo=memo or "")
        self.invoices[invoice.payment_hash] = _Held(invoice, recipient_wallet_id)
        self.created.add(invoice.payment_hash)
        match fault:
            case "lost":
                raise BlinkUnreachable("connection reset (fake)")
            case "crash-after":
                raise SimulatedCrash
        return invoice

    def terminal_invoice(self, amount_sats: int, wallet_id: str, expiry: int) -> Invoice:
        """A merchant invoice the terminal made at confirm time (counts as the terminal's)."""
        invoice = make_invoice(amount_sats, now=self.clock.now, expiry=expiry)
        self.invoices[invoice.payment_hash] = _Held(invoice, wallet_id)
        self.created.add(invoice.payment_hash)
        return invoice

    def foreign_invoice(self, amount_sats: int, wallet_id: str, expiry: int = 3600) -> Invoice:
        """An invoice somebody else made (a thief's): payable, but not the terminal's."""
        invoice = make_invoice(amount_sats, now=self.clock.now, expiry=expiry)
        self.invoices[invoice.payment_hash] = _Held(invoice, wallet_id)
        return invoice
