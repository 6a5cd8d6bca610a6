"""Pure readers of Blink's price objects into the exact :class:`Price` model.

Blink states a price as ``base / 10**offset`` minor units of the display currency per sat
(API-NOTES §4.10). The rate is kept as an exact ``Decimal`` built from those integers, never a
float, so converting an amount gives the same sats on every device.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .models import Price

_MAX_OFFSET = 30  # Blink uses 12; anything far beyond is a broken or hostile answer
_MAX_FRACTION_DIGITS = 8
_LEGACY_UNIT = "USDCENT"  # the deprecated ``Price`` is US cents per sat (currencyUnit says so)


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def exact_rate(price: object) -> Decimal | None:
    """``base / 10**offset`` of a ``{base, offset}`` object, exactly; None unless positive."""
    if not isinstance(price, Mapping):
        return None
    base, offset = _whole(price.get("base")), _whole(price.get("offset"))
    if base is None or offset is None or base <= 0 or not 0 <= offset <= _MAX_OFFSET:
        return None
    return Decimal(f"{base}E-{offset}")  # from a string: exact, whatever the context precision


def realtime_price(price: Mapping[str, Any]) -> Price | None:
    """A ``RealtimePrice`` object (query, subscription or myUpdates) as a Price, or None."""
    rate = exact_rate(price.get("btcSatPrice"))
    details = price.get("denominatorCurrencyDetails")
    timestamp = _whole(price.get("timestamp"))
    if rate is None or timestamp is None or not isinstance(details, Mapping):
        return None
    currency = details.get("id")
    digits = _whole(details.get("fractionDigits"))
    if not isinstance(currency, str) or not currency or digits is None:
        return None
    if not 0 <= digits <= _MAX_FRACTION_DIGITS:
        return None
    return Price(timestamp=timestamp, currency=currency, fraction_digits=digits, sat_price=rate)


def legacy_price(price: Mapping[str, Any]) -> Price | None:
    """The deprecated ``Price`` tick (US cents per sat, no timestamp) as a Price, or None."""
    rate = exact_rate(price)
    if rate is None or price.get("currencyUnit") != _LEGACY_UNIT:
        return None
    return Price(timestamp=None, currency="USD", fraction_digits=2, sat_price=rate)
