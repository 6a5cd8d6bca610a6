"""Opening a sale: journal it, make both invoices at once, journal them, and only then answer.

This is where every sale starts, and the order is the whole point: the sale is journaled before
any invoice exists, and both invoices are journaled before the QR may be shown, so a payment can
never reach an invoice the journal does not know.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from terminal.blink.http import BlinkHttp
from terminal.blink.models import Invoice
from terminal.errors import BlinkError, BlinkRejected, JournalError
from terminal.flow.events import Event, InvoiceCreationFailed, InvoicesCreated
from terminal.money import crashpoints
from terminal.money.forwarder import create_merchant_invoice, invoice_ref
from terminal.money.journal import Journal
from terminal.money.texts import STORAGE_TROUBLE, creation_trouble
from terminal.money.wallets import WalletBook
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


class SaleMaker:
    """Carries out ``CreateInvoices``: the first, and most careful, step of every sale."""

    def __init__(
        self,
        journal: JournalThread,
        http: BlinkHttp,
        wallets: WalletBook,
        emit: Callable[[Event], None],
        clock: Callable[[], float],
        *,
        memo: str,
        expiry_minutes: int,
    ) -> None:
        self._journal = journal
        self._http = http
        self._wallets = wallets
        self._emit = emit
        self._clock = clock
        self._memo = memo
        self._expiry_minutes = expiry_minutes

    async def create(self, amount_sats: int, request: int) -> None:
        """Make the sale's invoices and answer with exactly one event carrying ``request``."""
        try:
            sale = await self._journal.call(
                Journal.begin_sale, amount_sats, self._memo, self._clock()
            )
        except JournalError as exc:
            log.error("cannot start a sale: %s", exc)
            self._storage_failed(None, exc, request)
            return
        crashpoints.crashpoint(crashpoints.AFTER_BEGIN_SALE)
        try:
            pos, merchant = await self._make_both(sale.id, amount_sats)
        except BlinkError as exc:
            await self._journal.call(Journal.mark_failed, sale.id, self._clock())
            trouble = creation_trouble(exc)
            log.warning("sale %s: invoices not made: %s", sale.id, exc)
            self._emit(
                InvoiceCreationFailed(
                    sale.id, trouble.title, str(exc), trouble.action, trouble.retryable, request
                )
            )
            return
        # Durable before the QR can be shown: a payment to an invoice the journal does not know
        # would never be forwarded.
        try:
            await self._journal.call(
                Journal.record_invoices,
                sale.id,
                invoice_ref(pos),
                invoice_ref(merchant),
                self._clock(),
            )
        except JournalError as exc:
            # Never shown, so never paid: the invoices simply expire on Blink.
            log.error("sale %s: invoices made but not journaled: %s", sale.id, exc)
            self._storage_failed(sale.id, exc, request)
            return
        crashpoints.crashpoint(crashpoints.AFTER_RECORD_INVOICES)
        self._emit(
            InvoicesCreated(
                sale.id,
                amount_sats,
                pos.payment_request,
                pos.payment_hash,
                float(pos.expires_at),
                request,
            )
        )

    def _storage_failed(self, sale_id: str | None, exc: JournalError, request: int) -> None:
        trouble = STORAGE_TROUBLE
        self._emit(
            InvoiceCreationFailed(
                sale_id, trouble.title, str(exc), trouble.action, trouble.retryable, request
            )
        )

    async def _make_both(self, sale_id: str, amount_sats: int) -> tuple[Invoice, Invoice]:
        wallets = await self._wallets.get()
        # Both at once: the customer waits for the slower of the two round trips, not their sum.
        pos_call = self._http.create_invoice(
            wallets.pos,
            amount_sats,
            memo=self._memo,
            expires_in_minutes=self._expiry_minutes,
            external_id=sale_id,
        )
        merchant_call = create_merchant_invoice(
            self._http, wallets.merchant, sale_id, amount_sats, self._memo
        )
        results = await asyncio.gather(pos_call, merchant_call, return_exceptions=True)
        pos, merchant = results
        for result in (pos, merchant):
            if isinstance(result, BaseException):
                raise result
        assert isinstance(pos, Invoice)
        assert isinstance(merchant, Invoice)
        if pos.satoshis != amount_sats or merchant.satoshis != amount_sats:
            raise BlinkRejected(
                f"Blink made an invoice for the wrong amount ({pos.satoshis}/{merchant.satoshis})"
            )
        return pos, merchant
