"""Pricing a typed amount in sats: to the nearest sat, never zero, exact at the edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.money.pricing import format_minor, is_fresh, minor_digits, tip_of, to_sats


@pytest.mark.parametrize(
    ("minor", "price", "sats"),
    [
        (350, Decimal("0.095"), 3684),  # 3.50 EUR at 0.095 cents a sat
        (1, Decimal("0.095"), 11),  # a cent: rounded to the nearest sat
        (1, Decimal("1000"), 1),  # a thousandth of a sat's worth: never zero
        (5, Decimal("10"), 1),  # exactly half a sat: halves go up
        (500, Decimal("0.14"), 3571),  # 500 JPY (no decimals) at 0.14 yen a sat
        (99_999_999, Decimal("0.095"), 1_052_631_568),  # the keypad's largest amount
    ],
)
def test_typed_amounts_become_sats_to_the_nearest(minor: int, price: Decimal, sats: int) -> None:
    assert to_sats(minor, price) == sats


def test_nothing_typed_is_nothing_and_a_price_must_be_positive() -> None:
    assert to_sats(0, Decimal("0.1")) == 0
    with pytest.raises(ValueError, match="positive"):
        to_sats(100, Decimal(0))


@given(st.integers(1, 10**9), st.decimals("0.0001", "100000", places=4))
def test_a_positive_amount_is_never_zero_sats_and_within_half_a_sat(
    minor: int, price: Decimal
) -> None:
    sats = to_sats(minor, price)
    assert sats >= 1
    assert abs(Decimal(sats) - Decimal(minor) / price) <= max(
        Decimal("0.5"), 1 - Decimal(minor) / price
    )


def test_tips_round_to_the_nearest_minor_unit() -> None:
    assert tip_of(350, 10) == 35
    assert tip_of(355, 10) == 36  # 35.5: halves up
    assert tip_of(1, 15) == 0


def test_amounts_read_in_their_currency() -> None:
    assert format_minor(350, 2, "EUR") == "3.50 EUR"
    assert format_minor(123456789, 2) == "1,234,567.89"
    assert format_minor(500, minor_digits("JPY"), "JPY") == "500 JPY"
    assert format_minor(1500, minor_digits("KWD"), "KWD") == "1.500 KWD"
    assert minor_digits("SAT") == 0


def test_a_rate_is_fresh_by_blinks_clock_only() -> None:
    assert is_fresh(1000.0, 1059.0, 60.0)
    assert not is_fresh(1000.0, 1061.0, 60.0)
    assert not is_fresh(1000.0, None, 60.0)  # Blink's time unknown: not fresh
