"""The state of a connection to Blink, as the merchant sees it on LEDs and on screen."""

from __future__ import annotations

import enum


class LinkState(enum.Enum):
    """One link (BlinkPOS or merchant).

    ``UP``: the socket is live (frames within the liveness bound). ``DEGRADED``: the socket is
    down but HTTP answers, so open invoices are polled slowly. ``DOWN``: neither answers.
    ``REJECTED``: Blink refused the key; only a new key fixes it. ``FAULT``: Blink answers but
    refuses the payment subscription (an ``error`` or an early ``complete``), or closed the socket
    saying the terminal sent something wrong: push detection is dead for a reason a reconnect
    may not fix, so no QR is offered, the reason is shown, and it is retried (slowly for a bug).
    ``OFF``: not configured (the merchant link is optional). ``CONNECTING``: at start-up,
    before the first answer.
    """

    CONNECTING = "connecting"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    REJECTED = "rejected"
    FAULT = "fault"
    OFF = "off"

    @property
    def detects_payments(self) -> bool:
        """True when a payment to an invoice would be noticed (push, or polling in degraded)."""
        return self in (LinkState.UP, LinkState.DEGRADED)
