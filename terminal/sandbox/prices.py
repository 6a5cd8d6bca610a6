"""The sandbox's price service: a few display currencies, movable rates, and a stale-price fault.

Shapes follow Blink's resolvers (core ``graphql/public/root/query/realtime-price.ts`` and
``subscription/my-updates.ts``): ``btcSatPrice`` is the price of one sat in the currency's minor
unit, as ``base / 10^offset`` with offset 12; ``usdCentPrice`` the price of one US cent likewise;
the deprecated ``Price`` of ``myUpdates`` is the same sat price with ``currencyUnit`` "USDCENT".
A price's ``timestamp`` is when the price service last updated it: now, unless prices are
stale, when it stays at the moment they went stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from terminal.sandbox.clock import Clock

PRICE_OFFSET = 12  # Blink's SAT_PRICE_PRECISION_OFFSET
SATS_PER_BTC = 100_000_000
_SCALE: int = 10**PRICE_OFFSET


@dataclass(frozen=True)
class Currency:
    """A display currency as ``currencyList`` shows it."""

    code: str
    symbol: str
    name: str
    fraction_digits: int
    flag: str = ""


# A handful of Blink's display currencies with their real decimals (ISO 4217), and round rates.
DEFAULT_RATES: tuple[tuple[Currency, float], ...] = (
    (Currency("USD", "$", "US Dollar", 2, "\U0001f1fa\U0001f1f8"), 100_000.0),
    (Currency("EUR", "€", "Euro", 2, "\U0001f1ea\U0001f1fa"), 92_000.0),
    (Currency("GBP", "£", "British Pound", 2, "\U0001f1ec\U0001f1e7"), 79_000.0),
    (Currency("CHF", "CHF", "Swiss Franc", 2, "\U0001f1e8\U0001f1ed"), 88_000.0),
    (Currency("JPY", "¥", "Japanese Yen", 0, "\U0001f1ef\U0001f1f5"), 15_500_000.0),
)


class UnknownCurrency(KeyError):
    """The price service has no such display currency."""


@dataclass(frozen=True)
class Quote:
    """One currency's price at one moment."""

    currency: Currency
    minor_per_sat: Fraction
    minor_per_usd_cent: Fraction
    timestamp: int


class PriceBoard:
    """Rates per display currency, in minor units per sat, exactly (as fractions)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._currencies: dict[str, Currency] = {}
        self._minor_per_sat: dict[str, Fraction] = {}
        self.stale_since: float | None = None
        for currency, fiat_per_btc in DEFAULT_RATES:
            self.add(currency, fiat_per_btc)

    def add(self, currency: Currency, fiat_per_btc: float) -> None:
        """List ``currency`` at ``fiat_per_btc`` major units per bitcoin."""
        self._currencies[currency.code] = currency
        self.set_fiat_per_btc(currency.code, fiat_per_btc)

    def currencies(self) -> list[Currency]:
        """Every listed currency, in listing order."""
        return list(self._currencies.values())

    def currency(self, code: str) -> Currency:
        """The listed currency ``code``; ``UnknownCurrency`` otherwise."""
        found = self._currencies.get(code)
        if found is None:
            raise UnknownCurrency(code)
        return found

    def set_fiat_per_btc(self, code: str, fiat_per_btc: float) -> None:
        """Move ``code``'s rate to ``fiat_per_btc`` major units per bitcoin."""
        if not fiat_per_btc > 0:
            raise ValueError("fiatPerBtc must be a positive number")
        digits = self.currency(code).fraction_digits
        # str() first: 95000.1 becomes exactly 950001/10, not the float's binary neighbour.
        self._minor_per_sat[code] = Fraction(str(fiat_per_btc)) * 10**digits / SATS_PER_BTC

    def set_sat_price(self, code: str, base: int, offset: int) -> None:
        """Move ``code``'s rate to ``base / 10^offset`` minor units per sat (Blink's shape)."""
        if base <= 0 or offset < 0:
            raise ValueError("btcSatPrice needs a positive base and a non-negative offset")
        self.currency(code)
        self._minor_per_sat[code] = Fraction(base, 10**offset)

    def set_stale(self, stale: bool) -> None:
        """Stop (or resume) the price service: a stale price keeps its old timestamp."""
        if stale and self.stale_since is None:
            self.stale_since = self._clock.now()
        elif not stale:
            self.stale_since = None

    @property
    def stale(self) -> bool:
        """True while the price service is stopped."""
        return self.stale_since is not None

    def quote(self, code: str) -> Quote:
        """``code``'s price now; ``UnknownCurrency`` if it is not listed."""
        currency = self.currency(code)
        per_sat = self._minor_per_sat[code]
        usd_cents_per_sat = self._minor_per_sat["USD"]
        stamp = self.stale_since if self.stale_since is not None else self._clock.now()
        return Quote(currency, per_sat, per_sat / usd_cents_per_sat, int(stamp))


def _scaled(value: Fraction) -> int:
    return round(value * _SCALE)


def currency_shape(currency: Currency) -> dict[str, Any]:
    """A ``Currency``."""
    return {
        "id": currency.code,
        "symbol": currency.symbol,
        "name": currency.name,
        "fractionDigits": currency.fraction_digits,
        "flag": currency.flag,
    }


def realtime_price(quote: Quote) -> dict[str, Any]:
    """A ``RealtimePrice``."""
    code = quote.currency.code
    return {
        "__typename": "RealtimePrice",
        "id": f"{code}-{quote.timestamp}",
        "timestamp": quote.timestamp,
        "denominatorCurrency": code,
        "denominatorCurrencyDetails": currency_shape(quote.currency),
        "btcSatPrice": {
            "base": _scaled(quote.minor_per_sat),
            "offset": PRICE_OFFSET,
            "currencyUnit": "MINOR",
        },
        "usdCentPrice": {
            "base": _scaled(quote.minor_per_usd_cent),
            "offset": PRICE_OFFSET,
            "currencyUnit": "MINOR",
        },
    }


def deprecated_price(quote: Quote) -> dict[str, Any]:
    """The deprecated ``Price`` that ``myUpdates`` sends to accounts displaying USD."""
    return {
        "__typename": "Price",
        "base": _scaled(quote.minor_per_sat),
        "offset": PRICE_OFFSET,
        "currencyUnit": f"{quote.currency.code}CENT",
        "formattedAmount": str(float(quote.minor_per_sat)),
    }
