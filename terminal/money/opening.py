"""Opening a sale: journal it, make both invoices at once, journal them, and only then answer.

This is where every sale starts, and the order is the whole point: the sale is journaled before
any invoice exists, and both invoices are journaled before the QR may be shown, so a payment can
never reach an invoice the journal does not know.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable

from terminal.blink.http import BlinkHttp
from terminal.blink.models import Invoice
from terminal.errors import BlinkError, BlinkRejected, JournalError, PayoutGuardError
from terminal.flow.events import Event, InvoiceCreationFailed, InvoicesCreated
from terminal.money import crashpoints
from terminal.money.destination import Destination
from terminal.money.forwarder import create_merchant_invoice, invoice_ref
from terminal.money.guard import check_new_invoices
from terminal.money.journal import Journal
from terminal.money.texts import STORAGE_TROUBLE, creation_trouble
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


class SaleMaker:
    """Carries out ``CreateInvoices``: the first, and most careful, step of every sale."""

    def __init__(
        self,
        journal: JournalThread,
        http: BlinkHttp,
        wallets: WalletBook,
        destination: Destination,
        emit: Callable[[Event], None],
        clock: Callable[[], float],
        *,
        memo: str,
        expiry_minutes: int,
    ) -> None:
        self._journal = journal
        self._http = http
        self._wallets = wallets
        self._destination = destination
        self._lifetime = expiry_minutes * 60.0
        self._emit = emit
        self._clock = clock
        self._memo = memo
        self._expiry_minutes = expiry_minutes

    async def create(self, amount_sats: int, request: int) -> None:
        """Make the sale's invoices and answer with exactly one event carrying ``request``."""
        wallets = await self._wallets.get()  # known before the flow may ask (the link board)
        try:
            sale = await self._journal.call(
                Journal.begin_sale,
                amount_sats,
                self._memo,
                self._clock(),
                pos_wallet=wallets.pos,
                merchant_wallet=wallets.merchant,
            )
        except JournalError as exc:
            log.error("cannot start a sale: %s", exc)
            self._storage_failed(None, exc, request)
            return
        crashpoints.crashpoint(crashpoints.AFTER_BEGIN_SALE)
        try:
            pos, merchant = await self._make_both(sale.id, amount_sats, wallets)
            verified = await self._check(amount_sats, pos, merchant, wallets)
        except (BlinkError, PayoutGuardError) as exc:
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
                dataclasses.replace(invoice_ref(merchant), verified=verified),
                self._clock(),
            )
        except JournalError as exc:
            # Never shown, so never paid: the invoices simply expire on Blink.
            log.error("sale %s: invoices made but not journaled: %s", sale.id, exc)
            self._storage_failed(sale.id, exc, request)
            return
        crashpoints.crashpoint(crashpoints.AFTER_RECORD_INVOICES)
        blink_now = self._http.blink_now()
        self._emit(
            InvoicesCreated(
                sale.id,
                amount_sats,
                pos.payment_request,
                pos.payment_hash,
                # How long the QR lives, on Blink's clock (the terminal's may be days off).
                float(pos.expires_at) - blink_now if blink_now is not None else self._lifetime,
                request,
                time.monotonic(),
            )
        )

    async def _check(
        self, amount_sats: int, pos: Invoice, merchant: Invoice, wallets: Wallets
    ) -> bool:
        """Refuse invoices that are not exactly this sale's; True if the merchant's key confirmed
        the merchant invoice is theirs (False: not checked, for want of the key or an answer)."""
        nodes = self._destination.known_nodes()
        check_new_invoices(
            amount_sats,
            pos.payment_request,
            pos.payment_hash,
            merchant.payment_request,
            merchant.payment_hash,
            node_ids=nodes,
        )
        if not self._destination.verifies_owner:
            return False
        try:
            owned = await self._destination.owned_by_merchant(
                wallets.merchant, merchant.payment_hash
            )
        except BlinkError as exc:
            # The forwarder asks again before it pays; the sale need not wait for it.
            log.warning("merchant invoice not confirmed yet (%s); checked before paying", exc)
            return False
        if not owned:
            raise PayoutGuardError("Blink says the merchant invoice is not the merchant's")
        return True

    def _storage_failed(self, sale_id: str | None, exc: JournalError, request: int) -> None:
        trouble = STORAGE_TROUBLE
        self._emit(
            InvoiceCreationFailed(
                sale_id, trouble.title, str(exc), trouble.action, trouble.retryable, request
            )
        )

    async def _make_both(
        self, sale_id: str, amount_sats: int, wallets: Wallets
    ) -> tuple[Invoice, Invoice]:
        # Both at once (and Blink's node ids, the first time): the customer waits for the
        # slowest round trip, not their sum.
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
        calls: list[Awaitable[object]] = [pos_call, merchant_call]
        if self._destination.known_nodes() is None:
            calls.append(self._destination.nodes())
        results = await asyncio.gather(*calls, return_exceptions=True)
        pos, merchant = results[0], results[1]
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
