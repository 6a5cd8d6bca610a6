"""Turning "Blink says this invoice is paid" into a durable journal fact, for our sales only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from terminal.flow.events import Event, PaymentReceived, SaleLapsed
from terminal.money import crashpoints
from terminal.money.firstpay import FirstPayPlanner, JournaledPay
from terminal.money.journal import Journal
from terminal.money.sale import UNSETTLED_STATES, Sale, SaleState
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


class Payer(Protocol):
    """The forwarder, as the settler hands it a sale that was just received."""

    def first_pay_plan(self) -> FirstPayPlanner | None:
        """A planner for a received sale's first pay request, or None (not known locally)."""
        ...

    def hand_over(self, sale: Sale, first_pay: JournaledPay | None) -> None:
        """Forward ``sale`` (journaled received) unless that is under way; ``first_pay``: its
        first attempt, journaled with the payment (then ``sale`` is exactly as stored)."""
        ...


class Settler:
    """Records payments and lapses reported by any detection path (push, subscription, query).

    Several terminals may share one BlinkPOS account, so a paid invoice that is not in *this*
    journal is someone else's and is never forwarded from here. Every path may report the same
    payment more than once (duplicates are normal on Blink); the journal makes that harmless.

    This is the one place that wakes the forwarder: right after the journal says ``received``.
    With a ``payer`` (the forwarder), a sale that moves to received now is handed to it with
    its first pay attempt journaled in the same transaction, when the payout guard allows one:
    no re-read, no second commit before the pay request.
    """

    def __init__(
        self,
        journal: JournalThread,
        emit: Callable[[Event], None],
        wake_forwarder: Callable[[], None],
        clock: Callable[[], float],
        *,
        payer: Payer | None = None,
    ) -> None:
        self._journal = journal
        self._payer = payer
        self._emit = emit
        self._wake_forwarder = wake_forwarder
        self._clock = clock

    async def received(
        self, payment_hash: str, source: str, *, paid_sats: int | None = None
    ) -> bool:
        """Journal the POS invoice ``payment_hash`` as paid; True if it is one of our sales.

        ``paid_sats``: what Blink said was paid, when it said (``myUpdates`` does; a status
        does not); kept so the payout guard never forwards more than the customer paid.
        """
        plan = None if self._payer is None else self._payer.first_pay_plan()
        receipt = await self._journal.call(
            Journal.receive, payment_hash, self._clock(), paid_sats, plan
        )
        sale = receipt.sale
        if sale is None:
            log.debug("paid invoice %s… is not this terminal's; ignored", payment_hash[:12])
            return False
        if sale.state in (SaleState.NEW, SaleState.FAILED):
            # Impossible by construction (only journaled invoices are ever shown), and the
            # journal refuses it: say so loudly rather than crash-loop on every restart.
            log.error(
                "sale %s reported paid while %s: not forwarded; check it by hand",
                sale.id,
                sale.state.value,
            )
            return True
        if paid_sats is not None and paid_sats < sale.amount_sats:
            log.error(
                "sale %s: Blink says %d sats were paid of %d: it will not be forwarded; check it",
                sale.id,
                paid_sats,
                sale.amount_sats,
            )
        if receipt.received is not None:
            # Durable: the payment and, when planned, the first pay attempt with it.
            crashpoints.crashpoint(crashpoints.AFTER_MARK_RECEIVED)
            log.info("sale %s paid (%d sats, seen via %s)", sale.id, sale.amount_sats, source)
        if receipt.moved or sale.state is SaleState.RECEIVED:
            # The journal is durable first; only then may anybody act on the payment.
            if self._payer is not None:
                # A duplicate report of a received sale hands it over too (the forwarder
                # starts it if nothing is forwarding it): no scan of every received sale.
                self._payer.hand_over(receipt.received or sale, receipt.first_pay)
            else:
                self._wake_forwarder()
            self._emit(PaymentReceived(sale.id, sale.amount_sats))
        return True

    async def lapsed(self, payment_hash: str) -> None:
        """Note: POS invoice ``payment_hash`` expired unpaid (a late payment still counts)."""
        sale = await self._journal.call(Journal.by_pos_hash, payment_hash)
        if sale is None or sale.state not in UNSETTLED_STATES:
            return
        if await self._journal.call(Journal.mark_lapsed, sale.id, self._clock()):
            log.info("sale %s lapsed unpaid (Blink says its invoice expired)", sale.id)
            self._emit(SaleLapsed(sale.id))
