"""The till menu's effects carried out: the PIN check, the journal's figures, and its actions.

Every effect becomes a task that answers with an event; nothing here runs on the event loop
for long: the PIN's scrypt runs on a worker thread, the journal's reads on the journal's own
thread (:meth:`JournalThread.call`), printing on the receipt desk's thread. "Retry forwards"
only calls :meth:`Forwarder.retry_now`, which makes each waiting forward ask Blink again under
the same policy; it never pays anything itself.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from terminal.admin_pin import PinGuard
from terminal.config import Config
from terminal.errors import HardwareError, JournalError
from terminal.flow.events import Event
from terminal.flow.menu_data import (
    CheckPin,
    LoadTill,
    MenuActionDone,
    MenuEffect,
    PinChecked,
    RefreshBalance,
    ReprintReceipt,
    RetryForwards,
    TillLoaded,
)
from terminal.money.journal import Journal
from terminal.money.sale import SaleState
from terminal.money.worker import JournalThread
from terminal.receipts.desk import ReceiptDesk
from terminal.receipts.printers import open_printer
from terminal.sales_report import since_timestamp
from terminal.till import SaleLine, SaleWord, TillSummary, is_late, totals_of, word_of

log = logging.getLogger(__name__)

RECENT_SALES = 20  # the menu pages through this many


class Retrier(Protocol):
    """The forwarder's operator button (``terminal.money.forwarder.Forwarder`` has it)."""

    def retry_now(self) -> None: ...


class BalanceSource(Protocol):
    """The merchant link's balance read (``terminal.shell.merchant.MerchantLink`` has it)."""

    async def refresh_balance(self) -> None: ...


def build_till(
    config: Config,
    journal: JournalThread,
    forwarder: Retrier,
    emit: Callable[[Event], None],
    balance: BalanceSource | None,
    clock: Callable[[], float],
) -> tuple[MenuDesk, ReceiptDesk | None]:
    """The menu's desk and, when ``[receipts]`` names a printer, the receipt desk (no I/O)."""
    receipts: ReceiptDesk | None = None
    try:
        printer = open_printer(config.receipts)
    except HardwareError as exc:
        # A till without its printer still takes payments: say so, and go on.
        log.error("no receipts: %s", exc)
        printer = None
    if printer is not None:
        receipts = ReceiptDesk(journal, printer, config.terminal.name, clock=clock)
    # One guard for the process: its count of wrong PINs lives as long as it (see PinGuard).
    guard = PinGuard(config.admin.pin) if config.admin.pin is not None else None
    desk = MenuDesk(journal, guard, forwarder, emit, receipts=receipts, balance=balance)
    return desk, receipts


def read_till(journal: Journal, midnight: float, limit: int = RECENT_SALES) -> TillSummary:
    """Today's totals, the sats in flight and the last sales, in one go on the journal's thread."""
    waiting = journal.unforwarded_received()
    words = {sale.id: word_of(sale, journal.attempts(sale.id)) for sale in waiting}
    recent = tuple(
        SaleLine(
            _clock_text(sale.created_at, midnight),
            sale.amount_sats,
            words.get(sale.id) or word_of(sale),
            is_late(sale),
        )
        for sale in journal.recent(limit)
    )
    return TillSummary(
        today=totals_of(journal.since(midnight)),
        in_flight_sats=sum(sale.amount_sats for sale in waiting),
        in_flight=len(waiting),
        failing=sum(1 for word in words.values() if word is SaleWord.FAILING),
        recent=recent,
    )


def _clock_text(timestamp: float, midnight: float) -> str:
    """Local time: ``14:05`` today, ``03.12 14:05`` on an earlier day."""
    moment = datetime.datetime.fromtimestamp(timestamp).astimezone()
    return f"{moment:%H:%M}" if timestamp >= midnight else f"{moment:%d.%m %H:%M}"


class MenuDesk:
    """Carries out the menu's effects (``carry_out``), answering each with an event."""

    def __init__(
        self,
        journal: JournalThread,
        guard: PinGuard | None,
        forwarder: Retrier,
        emit: Callable[[Event], None],
        *,
        receipts: ReceiptDesk | None = None,
        balance: BalanceSource | None = None,
        midnight: Callable[[], float] = lambda: since_timestamp("today"),
    ) -> None:
        self._journal = journal
        self._guard = guard
        self._forwarder = forwarder
        self._emit = emit
        self._receipts = receipts
        self._balance = balance
        self._midnight = midnight

    def carry_out(self, effect: MenuEffect, group: asyncio.TaskGroup) -> None:
        """Start the task that carries out ``effect``."""
        work: Coroutine[Any, Any, None]
        match effect:
            case CheckPin(request, pin):
                work = self._check(request, pin)
            case LoadTill():
                work = self._load()
            case RefreshBalance():
                if self._balance is None:
                    return
                work = self._balance.refresh_balance()
            case RetryForwards():
                work = self._retry()
            case ReprintReceipt():
                work = self._reprint()
        group.create_task(work)

    async def _check(self, request: int, pin: str) -> None:
        if self._guard is None:  # the flow asks only when a PIN is set; refuse all the same
            self._emit(PinChecked(request, accepted=False, checked=False))
            return
        verdict = await asyncio.to_thread(self._guard.check, pin)
        if verdict.accepted:
            log.info("admin PIN accepted: till menu opened")
        self._emit(PinChecked(request, verdict.accepted, verdict.checked, verdict.retry_in))

    async def _load(self) -> None:
        try:
            summary = await self._journal.call(read_till, self._midnight())
        except JournalError as exc:
            log.error("till menu: %s", exc)
            self._emit(MenuActionDone("The journal cannot be read: call the operator"))
            return
        self._emit(TillLoaded(summary))

    async def _retry(self) -> None:
        self._forwarder.retry_now()
        try:
            waiting = await self._journal.call(Journal.unforwarded_received)
        except JournalError as exc:
            log.error("till menu: %s", exc)
            waiting = []
        count = sum(1 for sale in waiting if sale.state is SaleState.RECEIVED)
        log.info("retry forwards asked from the till menu (%d waiting)", count)
        noun = "forward" if count == 1 else "forwards"
        message = f"{count} waiting {noun} asked again" if count else "No forward is waiting"
        self._emit(MenuActionDone(message))

    async def _reprint(self) -> None:
        if self._receipts is None:
            self._emit(MenuActionDone("No receipt printer is configured"))
            return
        self._emit(MenuActionDone(await self._receipts.reprint_last()))
