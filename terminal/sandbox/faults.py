"""Faults on demand: what a flaky network and a struggling or hostile Blink do to the terminal.

Faults that count ("the next N requests") are queued per family and matched against a
request's operation names: the document's operation name and its root fields, compared without
regard to case, so ``LnInvoiceCreate`` and ``lnInvoiceCreate`` both name the same request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from terminal.errors import ConfigError

FAULT_KINDS = ("500", "429", "timeout")
SUBSCRIPTION_FAULTS = ("error", "complete", "close4500")
EVENT_KINDS = ("myUpdates", "status")
TAMPERABLE = ("lninvoicecreate", "lninvoicecreateonbehalfofrecipient")
PAY_OPERATION = "lninvoicepaymentsend"


@dataclass
class HttpFault:
    """Answer the next ``remaining`` matching HTTP requests badly."""

    kind: str
    remaining: int
    operation: str | None = None
    execute: bool = False


@dataclass(frozen=True)
class Tamper:
    """Falsify the next invoice answer: a BOLT11 for other sats, or another account's wallet."""

    amount_sats: int | None = None
    payee: str | None = None


@dataclass
class _Pending:
    """A fault waiting for its next ``remaining`` matching requests."""

    value: Any
    remaining: int = 1
    operation: str | None = None


@dataclass
class _EventDrops:
    """Events lost on purpose while the socket stays up: by payment hash or by subscription."""

    hashes: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)


def _shown(value: Any) -> Any:
    if isinstance(value, Tamper):
        return {"amountSats": value.amount_sats, "payee": value.payee}
    return value


def _matches(operation: str | None, operations: set[str]) -> bool:
    return operation is None or operation.lower() in {o.lower() for o in operations}


class Faults:
    """The switchboard tests and the control endpoint flip."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.latency = 0.0
        self.retry_after = 1
        # Longer than any client timeout the terminal uses, so a held request always times out.
        self.timeout_hold = 60.0
        self._lose_until: float | None = None
        self._blackout_until: float | None = None
        self._http: list[HttpFault] = []
        self._queues: dict[str, list[_Pending]] = {}
        self._drops = _EventDrops()
        self.http_up = True
        self.ws_up = True
        self._drop: Callable[[], int] | None = None
        self._cut_http: Callable[[], int] | None = None

    # sockets and the network

    def bind_dropper(self, drop: Callable[[], int], cut_http: Callable[[], int]) -> None:
        """Let the faults reach the server's open sockets and HTTP requests."""
        self._drop = drop
        self._cut_http = cut_http

    def drop_sockets(self) -> int:
        """Cut every open WebSocket now, without a close frame; return how many."""
        return self._drop() if self._drop else 0

    def set_network(self, http: bool | None = None, ws: bool | None = None) -> int:
        """Take the HTTP or WebSocket half down (new connections reset, live ones cut) or up.

        Returns how many live connections were cut.
        """
        cut = 0
        if http is not None:
            self.http_up = http
            if not http and self._cut_http:
                cut += self._cut_http()
        if ws is not None:
            self.ws_up = ws
            if not ws:
                cut += self.drop_sockets()
        return cut

    # events

    def lose_events(self, on: bool | float) -> None:
        """Publish nothing to sockets: ``True`` until cleared, a number for that many seconds."""
        self._lose_until = self._until(on)

    @property
    def events_lost(self) -> bool:
        """True while published events vanish (no replay, as with Blink's Redis pub/sub)."""
        return self._lose_until is not None and self._monotonic() < self._lose_until

    def blackout(self, on: bool | float) -> None:
        """Send no ``next`` message at all (events, statuses, prices) for that long; pings go on."""
        self._blackout_until = self._until(on)

    @property
    def blacked_out(self) -> bool:
        """True while every ``next`` message is lost."""
        return self._blackout_until is not None and self._monotonic() < self._blackout_until

    def drop_events(self, payment_hash: str | None = None, subscription: str | None = None) -> None:
        """Lose every event about ``payment_hash``, or every event of one subscription kind.

        ``subscription`` is "myUpdates" (its ``LnUpdate``s) or "status" (the PAID and EXPIRED
        pushes of status subscriptions). Price ticks, pings and the status a subscription
        reports at once when it starts are never dropped: only what a pub/sub hiccup loses.
        """
        if subscription is not None and subscription not in EVENT_KINDS:
            raise ConfigError(
                "dropEvents subscription", f"unknown {subscription!r}", f"use one of {EVENT_KINDS}"
            )
        if payment_hash is not None:
            self._drops.hashes.add(payment_hash)
        if subscription is not None:
            self._drops.kinds.add(subscription)

    def stop_dropping_events(self) -> None:
        """Deliver events again (what was dropped stays lost)."""
        self._drops = _EventDrops()

    def drops(self, kind: str, payment_hash: str) -> bool:
        """True if an event of subscription ``kind`` about ``payment_hash`` is to be lost."""
        return kind in self._drops.kinds or payment_hash in self._drops.hashes

    def fail_subscription(self, operation: str, how: str) -> None:
        """Answer the next subscribe of ``operation`` with ``error``, ``complete`` or close 4500."""
        if how not in SUBSCRIPTION_FAULTS:
            raise ConfigError(
                "failSubscription with", f"unknown {how!r}", f"use one of {SUBSCRIPTION_FAULTS}"
            )
        self._queue("subscribe", _Pending(how, 1, operation))

    def take_subscription_fault(self, operations: set[str]) -> str | None:
        """How to fail this subscribe, consuming the fault; None to serve it."""
        value: str | None = self._take("subscribe", operations)
        return value

    # HTTP

    def fail_next(
        self, n: int, kind: str, operation: str | None = None, execute: bool = False
    ) -> None:
        """Answer the next ``n`` HTTP requests (of ``operation`` only, if given) with ``kind``.

        ``kind`` is "500", "429" (with Retry-After) or "timeout" (held, then dropped).
        ``execute=True`` runs the request before its answer is lost ("lost answer");
        otherwise it never runs ("lost request").
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ConfigError("fault kind", f"unknown kind {kind!r}", f"use one of {FAULT_KINDS}")
        if n > 0:
            self._http.append(HttpFault(kind, n, operation, execute))

    def take(self, operations: set[str]) -> HttpFault | None:
        """The fault for a request naming ``operations``, counting it down; None to answer."""
        for fault in self._http:
            if _matches(fault.operation, operations):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._http.remove(fault)
                return fault
        return None

    def trickle(self, n: int, bytes_per_second: float) -> None:
        """Send the next ``n`` HTTP answers at ``bytes_per_second`` (a hostile slow peer)."""
        if bytes_per_second <= 0:
            raise ValueError("trickle bytesPerSecond must be positive")
        self._queue("trickle", _Pending(float(bytes_per_second), n))

    def take_trickle(self) -> float | None:
        """Bytes per second for this answer, or None to send it at once."""
        value: float | None = self._take("trickle", set())
        return value

    def huge_answer(self, n: int, size: int) -> None:
        """Pad the next ``n`` HTTP answers to valid JSON of ``size`` bytes."""
        if size <= 0:
            raise ValueError("hugeAnswer bytes must be positive")
        self._queue("huge", _Pending(int(size), n))

    def take_huge(self) -> int | None:
        """The size to pad this answer to, or None."""
        value: int | None = self._take("huge", set())
        return value

    def hold_payment(self, seconds: float) -> None:
        """Hold the next ``lnInvoicePaymentSend`` unanswered, and carry it out ``seconds`` later."""
        if seconds < 0:
            raise ValueError("holdPayment seconds must not be negative")
        self._queue("hold", _Pending(float(seconds), 1, PAY_OPERATION))

    def take_hold(self, operations: set[str]) -> float | None:
        """Seconds until this pay request lands, or None to answer it normally."""
        value: float | None = self._take("hold", operations)
        return value

    def tamper(self, operation: str, amount_sats: int | None, payee: str | None) -> None:
        """Falsify the next answer of an invoice-creating ``operation`` (see :class:`Tamper`)."""
        if operation.lower() not in TAMPERABLE:
            raise ConfigError(
                "tamper operation",
                f"{operation!r} makes no invoice",
                "use LnInvoiceCreate or LnInvoiceCreateOnBehalfOfRecipient",
            )
        if (amount_sats is None) == (payee is None):
            raise ValueError("tamper needs exactly one of amountSats and payee")
        if amount_sats is not None and amount_sats <= 0:
            raise ValueError("tamper amountSats must be positive")
        self._queue("tamper", _Pending(Tamper(amount_sats, payee), 1, operation))

    def take_tamper(self, operations: set[str]) -> Tamper | None:
        """The falsification for this request, or None."""
        value: Tamper | None = self._take("tamper", operations)
        return value

    # bookkeeping

    def _until(self, on: bool | float) -> float | None:
        if on is True:
            return float("inf")
        if on is False or on <= 0:
            return None
        return self._monotonic() + float(on)

    def _queue(self, family: str, pending: _Pending) -> None:
        if pending.remaining > 0:
            self._queues.setdefault(family, []).append(pending)

    def _take(self, family: str, operations: set[str]) -> Any:
        queue = self._queues.get(family, [])
        for pending in queue:
            if _matches(pending.operation, operations):
                pending.remaining -= 1
                if pending.remaining <= 0:
                    queue.remove(pending)
                return pending.value
        return None

    def clear(self) -> None:
        """Back to a healthy Blink (the network comes back up too)."""
        self.latency = 0.0
        self._lose_until = None
        self._blackout_until = None
        self._http.clear()
        self._queues.clear()
        self._drops = _EventDrops()
        self.http_up = self.ws_up = True

    def describe(self) -> dict[str, object]:
        """The current faults, for ``GET /control/faults``."""
        return {
            "latency": self.latency,
            "eventsLost": self.events_lost,
            "blackout": self.blacked_out,
            "dropEvents": {
                "paymentHashes": sorted(self._drops.hashes),
                "subscriptions": sorted(self._drops.kinds),
            },
            "network": {
                "http": "up" if self.http_up else "down",
                "ws": "up" if self.ws_up else "down",
            },
            "http": [vars(f).copy() for f in self._http],
            "queued": {
                family: [
                    {"value": _shown(p.value), "remaining": p.remaining, "operation": p.operation}
                    for p in queue
                ]
                for family, queue in self._queues.items()
                if queue
            },
        }
