"""Frozen values the Blink client hands to the rest of the terminal."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Wallet:
    """One Blink wallet; ``balance`` is in its minor unit (sats for BTC, cents for USD)."""

    id: str
    currency: str
    balance: int | None = None


@dataclass(frozen=True)
class Account:
    """The account behind a key, as ``me`` reports it."""

    id: str
    wallets: tuple[Wallet, ...]
    default_wallet_id: str

    def wallet(self, currency: str = "BTC") -> Wallet | None:
        """The first wallet in ``currency``, preferring the default wallet."""
        matching = [w for w in self.wallets if w.currency == currency]
        for w in matching:
            if w.id == self.default_wallet_id:
                return w
        return matching[0] if matching else None


@dataclass(frozen=True)
class Invoice:
    """An invoice Blink created; ``expires_at`` (Unix seconds) comes from the decoded BOLT11."""

    payment_request: str
    payment_hash: str
    satoshis: int
    expires_at: int
    external_id: str | None


class PaymentStatus(enum.Enum):
    """``PaymentSendResult``: what ``lnInvoicePaymentSend`` says happened."""

    SUCCESS = "SUCCESS"
    ALREADY_PAID = "ALREADY_PAID"
    PENDING = "PENDING"
    FAILURE = "FAILURE"


@dataclass(frozen=True)
class BlinkErrorInfo:
    """One business error from a payload's ``errors`` list."""

    message: str
    code: str | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    """The answer to a payment: a status and Blink's errors, if any."""

    status: PaymentStatus
    errors: tuple[BlinkErrorInfo, ...] = ()

    @property
    def settled(self) -> bool:
        """True when the invoice is paid by this request or an earlier one of ours."""
        return self.status in (PaymentStatus.SUCCESS, PaymentStatus.ALREADY_PAID)


class InvoiceStatus(enum.Enum):
    """``InvoicePaymentStatus``."""

    PENDING = "PENDING"
    PAID = "PAID"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class Price:
    """A price: one sat costs exactly ``sat_price`` minor units of ``currency``.

    ``timestamp`` is Blink's (Unix seconds; None for the deprecated ``Price`` tick, which has
    none). ``server_date`` is the ``Date`` header of the HTTP answer that carried it, so a
    price's age can be judged on Blink's clock rather than the terminal's.
    """

    timestamp: int | None
    currency: str
    fraction_digits: int
    sat_price: Decimal
    server_date: datetime | None = None

    def sats_for(self, minor_units: int) -> int:
        """The sats (rounded to the nearest) worth ``minor_units`` of ``currency``."""
        if self.sat_price <= 0:
            return 0
        return int((Decimal(minor_units) / self.sat_price).to_integral_value())


@dataclass(frozen=True)
class Currency:
    """A display currency Blink prices: ``fraction_digits`` minor-unit digits (2 for cents)."""

    id: str
    symbol: str
    name: str
    fraction_digits: int


@dataclass(frozen=True)
class WalletInvoice:
    """One of a wallet's own invoices as Blink keeps it; ``satoshis`` is None without an amount."""

    payment_hash: str
    status: InvoiceStatus
    satoshis: int | None
