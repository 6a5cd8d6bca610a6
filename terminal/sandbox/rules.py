"""Blink's payment rules that more than one fake of Blink must agree on (API-NOTES §5, §7).

This module imports nothing heavy, so the in-memory fake of the forwarder tests
(``tests/forwarder/fake_blink.py``) and the sandbox's ledger share one definition.
"""

from __future__ import annotations

# The same wallet repeating a paid invoice within this many seconds gets ALREADY_PAID; later,
# or from another wallet, the answer is FAILURE "Invoice is already paid" (§5, §7).
ALREADY_PAID_WINDOW_S = 300.0


def repeat_is_already_paid(
    same_wallet: bool, paid_at: float, now: float, window: float = ALREADY_PAID_WINDOW_S
) -> bool:
    """True if a repeat payment answers ALREADY_PAID: same wallet, strictly within the window."""
    return same_wallet and now - paid_at < window
