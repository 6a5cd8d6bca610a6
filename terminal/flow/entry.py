"""Typing an amount on the keypad: pure functions over the typed digits."""

from __future__ import annotations


def type_digit(digits: str, digit: int, max_amount: int) -> str | None:
    """``digits`` with ``digit`` appended, or None when that would exceed ``max_amount``.

    A leading zero is ignored (typing 0 on an empty amount leaves it empty, which shows 0).
    """
    if not digits and digit == 0:
        return digits
    typed = digits + str(digit)
    return typed if int(typed) <= max_amount else None


def delete_digit(digits: str) -> str:
    """``digits`` without its last digit."""
    return digits[:-1]


def amount_of(digits: str) -> int:
    """The amount ``digits`` stands for; empty is 0."""
    return int(digits) if digits else 0


def format_sats(amount: int) -> str:
    """``amount`` with thousands separators, as the merchant reads it (1,000,000)."""
    return f"{amount:,}"
