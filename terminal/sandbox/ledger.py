"""The sandbox's accounts, invoices and money: Blink's business rules with no I/O.

Every rule cites API-NOTES (``/work/shared/blink/API-NOTES.md``): §3 input rules, §5 payment
results and intraledger settlement, §4.8 memo visibility, §7 "Corrections".

Expiry: a payment from another Blink wallet (``lnInvoicePaymentSend``, settled intraledger) does
not check the invoice's expiry, as on the real Blink: it settles an expired invoice, whose status
then reads PAID. A payment from outside Blink (:meth:`Ledger.pay_external`, over Lightning) is
refused once the invoice has expired.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable

from terminal.errors import BlinkRejected
from terminal.sandbox.clock import Clock
from terminal.sandbox.invoices import make_invoice, payment_hash_of
from terminal.sandbox.records import (
    EXTERNAL_PAYER,
    Account,
    ApiKey,
    Invoice,
    Payment,
    PayRequest,
    PayResult,
    Transaction,
    Wallet,
)
from terminal.sandbox.rules import ALREADY_PAID_WINDOW_S, repeat_is_already_paid

__all__ = [
    "ALREADY_PAID_WINDOW_S",
    "EXTERNAL_PAYER",
    "Account",
    "ApiKey",
    "Clock",
    "Invoice",
    "Ledger",
    "PayRequest",
    "PayResult",
    "Payment",
    "Transaction",
    "Wallet",
]

EXTERNAL_ID = re.compile(r"^[a-z0-9_-]{1,100}$")  # §3, lowercase only
MIN_EXPIRY_MIN = 1
MAX_EXPIRY_MIN = 24 * 60
DEFAULT_EXPIRY_MIN = 4 * 60  # §3: 4 h for invoices with an amount
MAX_MEMO_BYTES = 639
MEMO_SHARING_SATS = 50  # §4.8: received memos below this are hidden
WALLET_ERROR = (
    "Unexpected error occurred, please try again or contact support if it persists "
    "(code: InvalidWalletForAccountError)"
)


def new_key() -> str:
    """A key shaped like a real Blink key: ``blink_`` and 48 url-safe characters."""
    return "blink_" + secrets.token_urlsafe(36)


class Ledger:
    """Accounts, keys, invoices and money moving between them."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}  # by value
        self.invoices: dict[str, Invoice] = {}  # by payment hash
        self.transactions: list[Transaction] = []
        self.payments: list[Payment] = []
        self.pay_requests: list[PayRequest] = []
        self._external_ids: set[tuple[str, str]] = set()
        self.on_settled: list[Callable[[Invoice, Transaction], None]] = []

    # accounts and keys

    def add_account(
        self, username: str, btc_balance: int = 0, display_currency: str = "USD"
    ) -> Account:
        """Open an account with a funded BTC wallet and an empty USD wallet."""
        wallets = [
            Wallet(str(uuid.uuid4()), username, "BTC", btc_balance),
            Wallet(str(uuid.uuid4()), username, "USD", 0),
        ]
        account = Account(username, str(uuid.uuid4()), str(uuid.uuid4()), wallets, display_currency)
        self.accounts[username] = account
        return account

    def add_key(self, name: str, username: str, scopes: set[str]) -> ApiKey:
        """Issue a fresh key for ``username`` with ``scopes``."""
        key = ApiKey(name, new_key(), username, frozenset(scopes))
        self.keys[key.value] = key
        return key

    def wallet(self, wallet_id: str) -> Wallet | None:
        """The wallet with this id, of any account."""
        for account in self.accounts.values():
            for wallet in account.wallets:
                if wallet.id == wallet_id:
                    return wallet
        return None

    def wallet_of(self, username: str, currency: str = "BTC") -> Wallet:
        """The ``currency`` wallet of ``username``."""
        for wallet in self.accounts[username].wallets:
            if wallet.currency == currency:
                return wallet
        raise KeyError(f"{username} has no {currency} wallet")

    # invoices

    def create_invoice(
        self,
        wallet_id: str,
        amount: object,
        memo: object = None,
        expires_in: object = None,
        external_id: object = None,
    ) -> Invoice:
        """Issue an invoice into ``wallet_id``; raise ``BlinkRejected`` as Blink would."""
        wallet = self.wallet(wallet_id)
        if wallet is None:
            raise BlinkRejected(WALLET_ERROR)
        if wallet.currency != "BTC":
            raise BlinkRejected("Invalid wallet currency for this mutation", "INVALID_INPUT")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise BlinkRejected("Invalid value for SatAmount")
        if amount == 0:
            raise BlinkRejected("A valid satoshi amount is required", "INVALID_INPUT")
        text = "" if memo is None else str(memo)
        if len(text.encode()) > MAX_MEMO_BYTES:
            raise BlinkRejected("Memo is too long", "INVALID_INPUT")
        minutes = DEFAULT_EXPIRY_MIN
        # §3: a value outside 1 min..24 h is silently replaced by the default, not rejected.
        if isinstance(expires_in, int) and MIN_EXPIRY_MIN <= expires_in <= MAX_EXPIRY_MIN:
            minutes = expires_in
        if external_id is None:
            ext = uuid.uuid4().hex
        elif not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id):
            raise BlinkRejected("Invalid value for TxExternalId", "INVALID_INPUT")
        else:
            ext = external_id
        if (wallet.username, ext) in self._external_ids:
            raise BlinkRejected(
                "External id for invoice or transaction already exists", "INVALID_INPUT"
            )
        now = self.clock.now()
        made = make_invoice(amount, text, minutes * 60, now=now)
        invoice = Invoice(
            payment_request=made.payment_request,
            payment_hash=made.payment_hash,
            preimage=made.preimage,
            payment_secret=made.payment_secret,
            wallet_id=wallet.id,
            amount=amount,
            memo=text,
            external_id=ext,
            created_at=int(now),
            expires_at=made.expires_at,
        )
        self._external_ids.add((wallet.username, ext))
        self.invoices[invoice.payment_hash] = invoice
        return invoice

    def invoice_by_request(self, payment_request: str) -> Invoice | None:
        """The sandbox's invoice behind a BOLT11 string, or None if it is not ours."""
        return self.invoices.get(payment_hash_of(payment_request))

    def status(self, invoice: Invoice) -> str:
        """The invoice's status at sandbox time."""
        return invoice.status(self.clock.now())

    def newest_pending(self, username: str) -> Invoice | None:
        """The most recent unpaid, unexpired invoice of ``username``'s wallets."""
        ids = {w.id for w in self.accounts[username].wallets}
        # Insertion order, not createdAt: two invoices made in the same second must not tie.
        for invoice in reversed(self.invoices.values()):
            if invoice.wallet_id in ids and self.status(invoice) == "PENDING":
                return invoice
        return None

    # paying

    def pay(self, wallet_id: str, payment_request: str, memo: str | None = None) -> PayResult:
        """Pay an invoice from a Blink wallet (``lnInvoicePaymentSend``): API-NOTES §5 and §7."""
        try:
            payment_hash: str | BlinkRejected = payment_hash_of(payment_request)
        except BlinkRejected as exc:
            payment_hash = exc
        result = self._pay(wallet_id, payment_hash, memo)
        outcome = result.status
        if result.errors:
            outcome += f":{result.errors[0].code or result.errors[0].blink_message}"
        known = payment_hash if isinstance(payment_hash, str) else ""
        self.pay_requests.append(PayRequest(time.monotonic(), wallet_id, known, outcome))
        return result

    def pay_external(self, payment_request: str) -> PayResult:
        """Pay an invoice from a wallet outside Blink, over Lightning.

        Unlike a Blink payer, an outside payment needs the invoice unexpired: Blink's node no
        longer accepts an HTLC for an expired invoice.
        """
        invoice = self.invoice_by_request(payment_request)
        if invoice is None:
            return PayResult("FAILURE", [_no_route()])
        if invoice.paid_at is not None:
            return PayResult("FAILURE", [_already_paid()])
        now = self.clock.now()
        if now >= invoice.expires_at:
            return PayResult("FAILURE", [_expired()])
        return PayResult("SUCCESS", [], self._settle(invoice, None, None, now))

    def _pay(
        self, wallet_id: str, payment_hash: str | BlinkRejected, memo: str | None
    ) -> PayResult:
        payer = self.wallet(wallet_id)
        if payer is None:
            return PayResult("FAILURE", [BlinkRejected(WALLET_ERROR)])
        if isinstance(payment_hash, BlinkRejected):  # the invoice did not decode
            return PayResult("FAILURE", [payment_hash])
        invoice = self.invoices.get(payment_hash)
        if invoice is None:
            # Not our node's invoice: the real Blink would route it out over Lightning.
            return PayResult("FAILURE", [_no_route()])
        if invoice.wallet_id == payer.id:
            return PayResult(
                "FAILURE", [BlinkRejected("User tried to pay themselves", "CANT_PAY_SELF")]
            )
        now = self.clock.now()
        if invoice.paid_at is not None:
            if repeat_is_already_paid(invoice.paid_by == payer.id, invoice.paid_at, now):
                previous = self._transaction(payer.id, invoice.payment_hash)
                return PayResult("ALREADY_PAID", [], previous)
            return PayResult("FAILURE", [_already_paid()])
        # No expiry check: a Blink-to-Blink payment of an invoice settles in Blink's ledger, and
        # on the real Blink that path pays an expired invoice too (found by review, issue 10).
        if payer.currency != "BTC":
            return PayResult("FAILURE", [BlinkRejected("Invalid wallet currency", "INVALID_INPUT")])
        if payer.balance < invoice.amount:
            return PayResult(
                "FAILURE",
                [
                    BlinkRejected(
                        f"Payment amount '{invoice.amount}' sats exceeds balance '{payer.balance}'",
                        "INSUFFICIENT_BALANCE",
                    )
                ],
            )
        return PayResult("SUCCESS", [], self._settle(invoice, payer, memo, now))

    def _settle(
        self, invoice: Invoice, payer: Wallet | None, memo: str | None, now: float
    ) -> Transaction | None:
        """Move the money; the payer's SEND transaction (None for an outside payer)."""
        receiver = self.wallet(invoice.wallet_id)
        assert receiver is not None  # invoices are only issued into existing wallets
        receiver.balance += invoice.amount
        invoice.paid_at = now
        invoice.paid_by = payer.id if payer else EXTERNAL_PAYER
        stamp = int(now)
        sent = None
        if payer is not None:
            payer.balance -= invoice.amount
            sent = Transaction(
                id=secrets.token_hex(12),
                wallet_id=payer.id,
                direction="SEND",
                amount=-invoice.amount,
                memo=memo or invoice.memo or None,
                external_id=None,
                created_at=stamp,
                payment_hash=invoice.payment_hash,
                payment_request=invoice.payment_request,
                counterparty_wallet_id=receiver.id,
                counterparty_username=receiver.username,
                preimage=invoice.preimage,
            )
            self.transactions.append(sent)
        # §7: the receiver sees the invoice's memo, hidden below the spam threshold (§4.8).
        shown_memo = invoice.memo if invoice.amount >= MEMO_SHARING_SATS and invoice.memo else None
        received = Transaction(
            id=secrets.token_hex(12),
            wallet_id=receiver.id,
            direction="RECEIVE",
            amount=invoice.amount,
            memo=shown_memo,
            external_id=invoice.external_id,
            created_at=stamp,
            payment_hash=invoice.payment_hash,
            payment_request=invoice.payment_request,
            counterparty_wallet_id=payer.id if payer else "",
            counterparty_username=payer.username if payer else "",
            preimage=invoice.preimage,
            via="intraledger" if payer else "lightning",
        )
        self.transactions.append(received)
        self.payments.append(
            Payment(
                invoice.payment_hash,
                payer.id if payer else EXTERNAL_PAYER,
                receiver.id,
                invoice.amount,
                now,
            )
        )
        for listener in list(self.on_settled):
            listener(invoice, received)
        return sent

    def _transaction(self, wallet_id: str, payment_hash: str) -> Transaction | None:
        for tx in self.transactions:
            if tx.wallet_id == wallet_id and tx.payment_hash == payment_hash:
                return tx
        return None

    def transactions_by_hash(self, wallet_id: str, payment_hash: str) -> list[Transaction]:
        """Every transaction of ``wallet_id`` for that payment hash."""
        return [
            tx
            for tx in self.transactions
            if tx.wallet_id == wallet_id and tx.payment_hash == payment_hash
        ]

    def payments_for(self, payment_hash: str) -> list[Payment]:
        """Every settled payment of that invoice (more than one would be a double payment)."""
        return [p for p in self.payments if p.payment_hash == payment_hash]


def _no_route() -> BlinkRejected:
    return BlinkRejected("Unable to find a route for payment", "ROUTE_FINDING_ERROR")


def _already_paid() -> BlinkRejected:
    return BlinkRejected("Invoice is already paid", "LIGHTNING_PAYMENT_ERROR")


def _expired() -> BlinkRejected:
    return BlinkRejected(
        "Invoice already expired, or has bad payment hash", "LIGHTNING_PAYMENT_ERROR"
    )
