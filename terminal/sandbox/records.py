"""The sandbox's records: accounts, keys, invoices, transactions and payments (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from terminal.errors import BlinkRejected

# The payer of a payment that came from outside Blink, over Lightning (no Blink wallet).
EXTERNAL_PAYER = "external"


@dataclass
class Wallet:
    """One wallet of an account; balance in sats (BTC) or cents (USD)."""

    id: str
    username: str
    currency: str
    balance: int = 0


@dataclass
class Account:
    """A Blink account with a BTC and a USD wallet, and the currency its app displays."""

    username: str
    id: str
    user_id: str
    wallets: list[Wallet]
    display_currency: str = "USD"

    @property
    def default_wallet(self) -> Wallet:
        """The BTC wallet, which is every sandbox account's default."""
        return self.wallets[0]


@dataclass(frozen=True)
class ApiKey:
    """A key with its account and scopes; the value is never logged."""

    name: str
    value: str = field(repr=False)
    username: str = ""
    scopes: frozenset[str] = frozenset()


@dataclass
class Invoice:
    """An invoice the sandbox's node issued, with the secret that settles it."""

    payment_request: str
    payment_hash: str
    preimage: str
    payment_secret: str
    wallet_id: str
    amount: int
    memo: str
    external_id: str
    created_at: int
    expires_at: float
    paid_at: float | None = None
    paid_by: str | None = None

    def status(self, now: float) -> str:
        """PENDING, PAID or EXPIRED at sandbox time ``now``."""
        if self.paid_at is not None:
            return "PAID"
        return "EXPIRED" if now >= self.expires_at else "PENDING"


@dataclass
class Transaction:
    """One side of a settled payment, as ``Transaction`` in the schema shows it."""

    id: str
    wallet_id: str
    direction: str
    amount: int
    memo: str | None
    external_id: str | None
    created_at: int
    payment_hash: str
    payment_request: str
    counterparty_wallet_id: str
    counterparty_username: str
    preimage: str
    status: str = "SUCCESS"
    # "intraledger" (Blink to Blink: SettlementViaIntraLedger) or "lightning" (from outside).
    via: str = "intraledger"


@dataclass(frozen=True)
class Payment:
    """A settled payment of an invoice."""

    payment_hash: str
    payer_wallet_id: str
    receiver_wallet_id: str
    amount: int
    at: float


class PayRequest(NamedTuple):
    """An ``lnInvoicePaymentSend`` the sandbox received, and what it answered."""

    at: float  # time.monotonic()
    wallet_id: str
    payment_hash: str
    outcome: str


@dataclass
class PayResult:
    """What ``lnInvoicePaymentSend`` answers: a status, payload errors, the payer's transaction."""

    status: str
    errors: list[BlinkRejected] = field(default_factory=list)
    transaction: Transaction | None = None
