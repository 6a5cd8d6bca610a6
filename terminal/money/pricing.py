"""Amounts typed in a currency, made sats at Blink's rate, with no I/O.

Blink gives the price of one sat in the currency's *minor* unit (``btcSatPrice``: cents for EUR,
yen for JPY) as ``base / 10**offset`` (API-NOTES §4.10). The cashier types minor units too
(digits fill from the right: 3 5 0 is 3.50 EUR), so a sale of ``minor`` units is
``minor / price`` sats, **rounded to the nearest sat (halves up), and never zero**: a customer
is never asked for nothing, nor for a sat that was never priced.

A rate is fresh while Blink's own clock says it is younger than the bound: its timestamp is
Blink's, and so is "now" (the ``Date`` of Blink's answers), so the terminal's clock, which may be
days off on a Pi, has no say.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SATS = "SAT"  # the pseudo-currency of a terminal that takes sats as typed

# ISO 4217 currencies whose minor unit is not a hundredth (every other has two decimals).
# Blink's currencyList is checked against this at the first sale: a disagreement refuses it.
_NO_DECIMALS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])


def minor_digits(currency: str) -> int:
    """How many decimals the cashier types in ``currency`` (sats: none)."""
    if currency == SATS or currency in _NO_DECIMALS:
        return 0
    return 3 if currency in _THREE_DECIMALS else 2


def to_sats(minor: int, sat_price: Decimal) -> int:
    """``minor`` units of the currency in sats at ``sat_price`` (minor units per sat)."""
    if minor <= 0:
        return 0
    if sat_price <= 0:
        raise ValueError(f"a price must be positive, not {sat_price}")
    sats = (Decimal(minor) / sat_price).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(1, int(sats))


def tip_of(minor: int, percent: int) -> int:
    """``percent`` of ``minor``, rounded to the nearest minor unit (halves up)."""
    exact = Decimal(minor) * Decimal(percent) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minor(minor: int, fraction_digits: int, currency: str = "") -> str:
    """``minor`` units as the cashier reads them: (350, 2) is "3.50", or "3.50 EUR"."""
    if fraction_digits <= 0:
        text = f"{minor:,}"
    else:
        whole, part = divmod(minor, 10**fraction_digits)
        text = f"{whole:,}.{part:0{fraction_digits}d}"
    return f"{text} {currency}" if currency else text


def is_fresh(price_timestamp: float, blink_now: float | None, max_age: float) -> bool:
    """True while Blink's clock says the price is younger than ``max_age`` seconds."""
    if blink_now is None:
        return False
    return blink_now - price_timestamp <= max_age
