"""The money path assembled: every part that carries a sale's money, wired in one place.

    customer pays ──▶ Detection (detection.py)  myUpdates / status subscription / status query
                          │ "Blink says this POS invoice is PAID"
                          ▼
                      Settler (settling.py)      journal: received, and (firstpay.py: the
                          │                      guard passed) the first attempt, in ONE
                          │                      transaction; then hand the sale over ▼
                          ▼
                      Forwarder (forwarder.py)   a handed-over attempt: pay request at once;
                                                 else asks policy.py what next; guard.py checks
                                                 the invoice; journal: attempt; then pay request

Sales start in SaleMaker (opening.py): journal the sale, make both invoices, journal them, and
only then answer the screen. The journal (journal.py, on its own thread: worker.py) is the only
memory that survives a power cut; every step above writes to it before the step that depends
on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from terminal.blink.http import BlinkHttp
from terminal.blink.socket import BlinkSocket
from terminal.config import Config
from terminal.flow.events import Event
from terminal.money import binding
from terminal.money.destination import Destination, InvoiceOwner
from terminal.money.detection import Detection, LinkReporter, OnLink
from terminal.money.forwarder import Forwarder
from terminal.money.journal import Journal
from terminal.money.opening import SaleMaker
from terminal.money.policy import ForwardResult
from terminal.money.pricing import SATS
from terminal.money.rates import RateKeeper
from terminal.money.settling import Settler
from terminal.money.wallets import WalletBook, WalletReporter, resolve_wallets
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


class JournalReporter(WalletReporter, Protocol):
    """The link board, as the money path reports to it."""

    def journal_refused(self, problem: str) -> None:
        """The journal may not be used here; why."""


@dataclass
class MoneyPath:
    """The parts of the money path, built once the journal is open; run by :meth:`run`."""

    journal: JournalThread
    wallets: WalletBook
    opener: SaleMaker
    detection: Detection
    forwarder: Forwarder
    rates: RateKeeper | None = None  # a terminal that takes a currency: its rate, kept fresh

    @classmethod
    def build(
        cls,
        config: Config,
        journal: JournalThread,
        http: BlinkHttp,
        open_socket: Callable[[OnLink], BlinkSocket],
        board: LinkReporter,
        emit: Callable[[Event], None],
        on_forward: Callable[[ForwardResult], None],
        clock: Callable[[], float] = time.time,
        merchant_http: InvoiceOwner | None = None,
    ) -> MoneyPath:
        """Wire the parts (no I/O: nothing runs until :meth:`run`).

        ``merchant_http``: the merchant's READ-key client, when configured: it confirms each
        merchant invoice belongs to the merchant before the terminal pays it.
        """
        wallets = WalletBook()
        destination = Destination(http, merchant_http)
        forwarder = Forwarder(
            journal, http, wallets, destination, clock=clock, on_result=on_forward
        )
        settler = Settler(journal, emit, forwarder.wake, clock, payer=forwarder)
        detection = Detection(journal, http, open_socket, settler, board, clock=clock)
        rates = None
        if config.terminal.currency != SATS:
            settings = config.terminal
            rates = RateKeeper(http, settings.currency, settings.rate_max_age_seconds)
        opener = SaleMaker(
            journal,
            http,
            wallets,
            destination,
            emit,
            clock,
            memo=config.terminal.name,
            expiry_minutes=config.terminal.invoice_expiry_minutes,
            max_amount_sats=config.terminal.max_amount_sats,
            rates=rates,
            fraction_digits=config.terminal.fraction_digits,
        )
        return cls(journal, wallets, opener, detection, forwarder, rates)

    async def run(
        self, config: Config, http: BlinkHttp, board: JournalReporter, *, forward: bool = True
    ) -> None:
        """Detection, the wallet lookup and the forwarder, until cancelled (or one dies).

        ``forward=False``: the journal is not this device's (see :mod:`binding`): payments are
        still seen and journaled, nothing is forwarded. The forwarder does not wait for the
        wallet lookup: a journaled sale carries its own wallets.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self.detection.run(), name="detection")
            if self.rates is not None:
                group.create_task(self.rates.follow(self.detection.socket), name="rates")
            forwarder = (
                group.create_task(self.forwarder.run(), name="forwarder") if forward else None
            )
            group.create_task(self._wallets(config, http, board, forwarder), name="wallets")

    async def _wallets(
        self,
        config: Config,
        http: BlinkHttp,
        board: JournalReporter,
        forwarder: asyncio.Task[None] | None,
    ) -> None:
        """Find the wallets; a journal made on another BlinkPOS wallet forwards nothing more."""
        wallets = await resolve_wallets(config, http, self.wallets, board)
        recorded = await self.journal.call(Journal.meta, binding.WALLET_KEY)
        problem = binding.foreign_wallet(recorded, wallets.pos)
        if problem is not None:
            log.error("%s", problem)
            board.journal_refused(problem)
            if forwarder is not None:
                forwarder.cancel()
        elif not recorded:
            await self.journal.call(Journal.set_meta, binding.WALLET_KEY, wallets.pos)
