"""Opening a sale: journal it, make both invoices at once, journal them, and only then answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from terminal.blink.http import BlinkHttp
from terminal.blink.models import Invoice
from terminal.errors import (
    BlinkError,
    BlinkRejected,
    BlinkUnreachable,
    JournalError,
    KeyRejected,
    RateLimited,
    ScopeDenied,
)
from terminal.flow.events import Event, InvoiceCreationFailed, InvoicesCreated
from terminal.money.forwarder import create_merchant_invoice, invoice_ref
from terminal.money.journal import Journal
from terminal.money.wallets import Wallets

log = logging.getLogger(__name__)


class SaleMaker:
    """Carries out ``CreateInvoices``: the first, and most careful, step of every sale."""

    def __init__(
        self,
        journal: Journal,
        http: BlinkHttp,
        wallets: Wallets,
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
            sale = self._journal.begin_sale(amount_sats, self._memo, self._clock())
        except JournalError as exc:
            log.error("cannot start a sale: %s", exc)
            self._emit(
                InvoiceCreationFailed(
                    None, "Storage error", str(exc), "Call the operator", False, request
                )
            )
            return
        try:
            pos, merchant = await self._make_both(sale.id, amount_sats)
        except BlinkError as exc:
            self._journal.mark_failed(sale.id, self._clock())
            title, action, retryable = _describe(exc)
            log.warning("sale %s: invoices not made: %s", sale.id, exc)
            self._emit(InvoiceCreationFailed(sale.id, title, str(exc), action, retryable, request))
            return
        # Durable before the QR can be shown: a payment to an invoice the journal does not know
        # would never be forwarded.
        try:
            self._journal.record_invoices(
                sale.id, invoice_ref(pos), invoice_ref(merchant), self._clock()
            )
        except JournalError as exc:
            # Never shown, so never paid: the invoices simply expire on Blink.
            log.error("sale %s: invoices made but not journaled: %s", sale.id, exc)
            self._emit(
                InvoiceCreationFailed(
                    sale.id, "Storage error", str(exc), "Call the operator", False, request
                )
            )
            return
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

    async def _make_both(self, sale_id: str, amount_sats: int) -> tuple[Invoice, Invoice]:
        # Both at once: the customer waits for the slower of the two round trips, not their sum.
        pos_call = self._http.create_invoice(
            self._wallets.pos,
            amount_sats,
            memo=self._memo,
            expires_in_minutes=self._expiry_minutes,
            external_id=sale_id,
        )
        merchant_call = create_merchant_invoice(
            self._http, self._wallets.merchant, sale_id, amount_sats, self._memo
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


def _describe(exc: BlinkError) -> tuple[str, str, bool]:
    """A title, what to do, and whether trying again may help, for the merchant's screen."""
    if isinstance(exc, KeyRejected):
        return "Key rejected", "Replace the BlinkPOS key", False
    if isinstance(exc, ScopeDenied):
        return "Key lacks scope", f"Give the key the {exc.scope} scope", False
    if isinstance(exc, RateLimited):
        return "Too many sales", "Wait a minute, then try again", True
    if isinstance(exc, BlinkUnreachable):
        return "Blink unreachable", "Check the network, then try again", True
    return "Invoice refused", "Try again; if it repeats, call the operator", True
