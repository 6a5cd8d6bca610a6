"""What one connection owes and has been told, with no I/O: the socket's per-connection ledger.

Which subscriptions were sent on it, which essential ones still owe their first clean ``next``
(until then the link is not UP: Blink acknowledges a bad key too), and what a subscription frame
means for the whole connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from terminal.errors import KeyRejected

from . import protocol
from .answers import error_infos
from .reconnect import Disposition
from .subscription import Subscription

log = logging.getLogger(__name__)

SHOWN_MESSAGE = 100  # Blink's own words in a reason the merchant reads: bounded, redacted


@dataclass(frozen=True)
class Ended:
    """How one connection ended, and how to go on."""

    reason: str
    rejected: bool = False
    disposition: Disposition = Disposition.RETRY
    terminal_bug: bool = False
    close_code: int | None = None
    refused: bool = False  # Blink refused (or ended) the essential subscription itself


class Session:
    """The ledger of one connection of the socket named ``name``."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._sent: set[str] = set()
        self._awaiting: set[str] = set()  # essential ids without a clean first next yet
        self._refusals: dict[str, str] = {}  # an essential id's error, quoted when it completes
        self._started = False  # every subscription of the (re)connect has been sent
        self._announced = False

    def start(self) -> None:
        """The connection's subscriptions are all sent: from now on it may be ready."""
        self._started = True

    def mark_sent(self, sub: Subscription) -> bool:
        """Record that ``sub`` is subscribed now; False if it already was on this connection."""
        if sub.id in self._sent:
            return False
        self._sent.add(sub.id)
        if sub.essential and not self._announced:
            self._awaiting.add(sub.id)
        return True

    def forget(self, sub_id: str) -> bool:
        """Drop ``sub_id``; True if Blink still runs it, so a ``complete`` must be sent."""
        self._awaiting.discard(sub_id)
        if sub_id not in self._sent:
            return False
        self._sent.discard(sub_id)
        return True

    def ready(self) -> bool:
        """True once, when no essential subscription still owes its first clean ``next``."""
        if self._announced or self._awaiting or not self._started:
            return False
        self._announced = True
        return True

    def expects_news(self, subs: dict[str, Subscription]) -> bool:
        """True when an essential subscription runs: Blink then sends a tick every ~30 s."""
        return any(subs[i].essential for i in self._sent if i in subs)

    def frame(
        self, sub: Subscription, event: protocol.Next | protocol.Errored | protocol.Completed
    ) -> Ended | None:
        """Deliver one subscription frame to ``sub``; an ``Ended`` when it ends the connection."""
        if isinstance(event, protocol.Completed):
            self._sent.discard(sub.id)  # ended by Blink: no complete to send back
            if sub.essential:
                refusal = self._refusals.get(sub.id)
                if refusal is not None:
                    return Ended(f"Blink refused {sub.label}: {refusal}", refused=True)
                return Ended(f"Blink ended {sub.label}", refused=True)
            log.info("%s: Blink ended subscription %s", self._name, sub.id)
            sub.close()
            return None
        errors: object = (
            event.payload.get("errors") if isinstance(event, protocol.Next) else list(event.errors)
        )
        sub.deliver(event.payload if isinstance(event, protocol.Next) else {"errors": errors})
        if protocol.is_auth_failure(errors):
            return Ended(str(KeyRejected(self._name)), rejected=True)
        infos = error_infos(errors)
        if isinstance(event, protocol.Errored):
            # graphql-ws has dropped the id: nothing more comes for it on this connection.
            self._sent.discard(sub.id)
            message = infos[0].message[:SHOWN_MESSAGE] if infos else "no reason given"
            if sub.essential:
                return Ended(f"Blink refused {sub.label}: {message}", refused=True)
            log.info("%s: Blink refused subscription %s: %s", self._name, sub.id, message)
            sub.close()
            return None
        if infos:
            if sub.essential:  # the complete that usually follows quotes it
                self._refusals[sub.id] = infos[0].message[:SHOWN_MESSAGE]
        else:
            self._awaiting.discard(sub.id)
        return None
