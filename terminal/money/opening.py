"""Opening a sale: price it, journal it, make its invoices at once, journal them, then answer.

This is where every sale starts, and the order is the whole point: an amount typed in a currency
is priced at a fresh Blink rate first (and that rate is locked with the sale); the sale is
journaled before any invoice exists; and its invoices (the customer's, the merchant's, a tip
recipient's) are checked and journaled before the QR may be shown, so a payment can never reach
an invoice the journal does not know, nor one for another amount.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from terminal.blink.http import BlinkHttp
from terminal.blink.models import Invoice
from terminal.errors import (
    BlinkError,
    BlinkRejected,
    JournalError,
    OverMaximum,
    PayoutGuardError,
    RateUnavailable,
)
from terminal.flow.events import Event, InvoiceCreationFailed, InvoicesCreated
from terminal.money import crashpoints
from terminal.money.destination import Destination
from terminal.money.forwarder import create_merchant_invoice, invoice_ref
from terminal.money.guard import Expected, check_new_invoices
from terminal.money.journal import Journal
from terminal.money.pricing import to_sats
from terminal.money.rates import RateKeeper
from terminal.money.sale import FiatAmount, Payout, PayoutRole
from terminal.money.texts import STORAGE_TROUBLE, creation_trouble
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Priced:
    """A sale priced in sats: the total the customer pays, its tip, and how it was typed."""

    total_sats: int
    tip_sats: int
    fiat: FiatAmount | None


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
        max_amount_sats: int = 100_000_000,
        rates: RateKeeper | None = None,
        fraction_digits: int = 0,
    ) -> None:
        self._journal = journal
        self._http = http
        self._wallets = wallets
        self._destination = destination
        self._emit = emit
        self._clock = clock
        self._memo = memo
        self._expiry_minutes = expiry_minutes
        self._lifetime = expiry_minutes * 60.0
        self._max_sats = max_amount_sats
        self._rates = rates  # None: amounts are typed in sats
        self._fraction_digits = fraction_digits

    async def create(self, amount: int, request: int, tip: int = 0) -> None:
        """Make the sale's invoices and answer with exactly one event carrying ``request``.

        ``amount`` and ``tip`` are as typed: sats, or minor units of the configured currency.
        """
        wallets = await self._wallets.get()  # known before the flow may ask (the link board)
        try:
            priced = await self._price(amount, tip)
        except (RateUnavailable, PayoutGuardError) as exc:
            log.warning("sale not started: %s", exc)
            self._failed(None, exc, request)
            return
        tip_wallet = wallets.tip if priced.tip_sats and wallets.tip else None
        try:
            sale = await self._journal.call(
                Journal.begin_sale,
                priced.total_sats,
                self._memo,
                self._clock(),
                pos_wallet=wallets.pos,
                merchant_wallet=wallets.merchant,
                tip_sats=priced.tip_sats,
                tip_wallet=tip_wallet,
                fiat=priced.fiat,
            )
        except JournalError as exc:
            log.error("cannot start a sale: %s", exc)
            self._storage_failed(None, exc, request)
            return
        crashpoints.crashpoint(crashpoints.AFTER_BEGIN_SALE)
        payouts = {p.role: p for p in sale.payouts()}
        try:
            made = await self._make_all(sale.id, priced.total_sats, payouts, wallets)
            verified = await self._check(priced.total_sats, made, payouts, wallets)
        except (BlinkError, PayoutGuardError) as exc:
            await self._journal.call(Journal.mark_failed, sale.id, self._clock())
            log.warning("sale %s: invoices not made: %s", sale.id, exc)
            self._failed(sale.id, exc, request)
            return
        pos, merchant, tip_invoice = made
        # Durable before the QR can be shown: a payment to an invoice the journal does not know
        # would never be forwarded.
        try:
            await self._journal.call(
                Journal.record_invoices,
                sale.id,
                invoice_ref(pos),
                dataclasses.replace(invoice_ref(merchant), verified=verified),
                self._clock(),
                None if tip_invoice is None else invoice_ref(tip_invoice),
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
                priced.total_sats,
                pos.payment_request,
                pos.payment_hash,
                # How long the QR lives, on Blink's clock (the terminal's may be days off).
                float(pos.expires_at) - blink_now if blink_now is not None else self._lifetime,
                request,
                time.monotonic(),
                typed=amount,
            )
        )

    async def _price(self, amount: int, tip: int) -> Priced:
        """The sale in sats: as typed, or at a fresh Blink rate (locked with the sale)."""
        if self._rates is None:
            total, tip_sats, fiat = amount + tip, tip, None
        else:
            price = await self._rates.fresh()
            if price.fraction_digits != self._fraction_digits:
                raise PayoutGuardError(
                    f"Blink counts {price.currency} in {price.fraction_digits} decimals, the "
                    f"terminal in {self._fraction_digits}: update the terminal"
                )
            # Rounded once, for the whole: the customer pays exactly the typed total's worth.
            total = to_sats(amount + tip, price.sat_price)
            tip_sats = min(to_sats(tip, price.sat_price), total - 1) if tip else 0
            fiat = FiatAmount(price.currency, amount, tip, str(price.sat_price))
        if total > self._max_sats:
            raise OverMaximum(
                f"{total:,} sats is over this terminal's maximum of {self._max_sats:,}"
            )
        return Priced(total, tip_sats, fiat)

    async def _check(
        self,
        total: int,
        made: tuple[Invoice, Invoice, Invoice | None],
        payouts: dict[PayoutRole, Payout],
        wallets: Wallets,
    ) -> bool:
        """Refuse invoices that are not exactly this sale's; True if the merchant's key confirmed
        the merchant invoice is theirs (False: not checked, for want of the key or an answer)."""
        pos, merchant, tip = made
        expected = [
            Expected("customer's", total, pos.payment_request, pos.payment_hash),
            Expected(
                "merchant's",
                payouts[PayoutRole.MERCHANT].amount_sats,
                merchant.payment_request,
                merchant.payment_hash,
            ),
        ]
        if tip is not None:
            amount = payouts[PayoutRole.TIP].amount_sats
            expected.append(Expected("tip's", amount, tip.payment_request, tip.payment_hash))
        check_new_invoices(expected, node_ids=self._destination.known_nodes())
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

    def _failed(
        self, sale_id: str | None, exc: BlinkError | PayoutGuardError, request: int
    ) -> None:
        trouble = creation_trouble(exc)
        self._emit(
            InvoiceCreationFailed(
                sale_id, trouble.title, str(exc), trouble.action, trouble.retryable, request
            )
        )

    def _storage_failed(self, sale_id: str | None, exc: JournalError, request: int) -> None:
        trouble = STORAGE_TROUBLE
        self._emit(
            InvoiceCreationFailed(
                sale_id, trouble.title, str(exc), trouble.action, trouble.retryable, request
            )
        )

    async def _make_all(
        self, sale_id: str, total: int, payouts: dict[PayoutRole, Payout], wallets: Wallets
    ) -> tuple[Invoice, Invoice, Invoice | None]:
        # All at once (and Blink's node ids, the first time): the customer waits for the
        # slowest round trip, not their sum.
        calls: list[Awaitable[object]] = [
            self._http.create_invoice(
                wallets.pos,
                total,
                memo=self._memo,
                expires_in_minutes=self._expiry_minutes,
                external_id=sale_id,
            ),
            create_merchant_invoice(
                self._http,
                wallets.merchant,
                sale_id,
                payouts[PayoutRole.MERCHANT].amount_sats,
                self._memo,
            ),
        ]
        tip = payouts.get(PayoutRole.TIP)
        if tip is not None:
            assert tip.wallet is not None  # a tip payout exists only with its recipient
            memo = f"tip {self._memo}".strip()
            calls.append(
                create_merchant_invoice(self._http, tip.wallet, sale_id, tip.amount_sats, memo)
            )
        fetch_nodes = self._destination.known_nodes() is None
        if fetch_nodes:
            calls.append(self._destination.nodes())
        results = await asyncio.gather(*calls, return_exceptions=True)
        invoices = results[: 3 if tip is not None else 2]
        for result in invoices:
            if isinstance(result, BaseException):
                raise result
        pos, merchant = invoices[0], invoices[1]
        tip_invoice = invoices[2] if tip is not None else None
        assert isinstance(pos, Invoice)
        assert isinstance(merchant, Invoice)
        assert tip_invoice is None or isinstance(tip_invoice, Invoice)
        if pos.satoshis != total:
            raise BlinkRejected(f"Blink made an invoice for the wrong amount ({pos.satoshis})")
        return pos, merchant, tip_invoice
