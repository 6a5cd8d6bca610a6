"""Named points on the money path where a fault test can cut the power.

When ``BLINK_TERMINAL_CRASH_AT`` names a point (``name``, or ``name:N`` for its Nth pass), the
process kills itself with SIGKILL there: no ``finally``, no flush, no atexit, just like a power
cut. Unset (always, in production), a crash point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
import threading

ENV_VAR = "BLINK_TERMINAL_CRASH_AT"

# Right after a journal write committed: opening a sale (opening.py), settling (settling.py) and
# the forwarder's last write (forwarder.py).
AFTER_BEGIN_SALE = "after_begin_sale"
AFTER_RECORD_INVOICES = "after_record_invoices"
AFTER_MARK_RECEIVED = "after_mark_received"
AFTER_MARK_FORWARDED = "after_mark_forwarded"
# Inside the forwarder (forwarder.py).
BEFORE_PAY = "before_pay"  # the attempt is journaled; the pay request has not left
AFTER_PAY_SENT = "after_pay_sent"  # Blink answered; the answer is not journaled yet
AFTER_PAY_ANSWER = "after_pay_answer"  # the answer is journaled; the sale is not yet forwarded
BEFORE_REPLACE = "before_replace"  # the old invoice is known EXPIRED; no new one asked for yet
AFTER_REPLACE_CREATED = "after_replace_created"  # Blink made the new invoice; not journaled
AFTER_REPLACE_JOURNALED = "after_replace_journaled"  # the new invoice is journaled, not paid

ALL_POINTS: tuple[str, ...] = (
    AFTER_BEGIN_SALE,
    AFTER_RECORD_INVOICES,
    AFTER_MARK_RECEIVED,
    AFTER_MARK_FORWARDED,
    BEFORE_PAY,
    AFTER_PAY_SENT,
    AFTER_PAY_ANSWER,
    BEFORE_REPLACE,
    AFTER_REPLACE_CREATED,
    AFTER_REPLACE_JOURNALED,
)

_passes: dict[str, int] = {}
_lock = threading.Lock()


def _target(spec: str) -> tuple[str, int]:
    name, _, count = spec.strip().partition(":")
    if not count:
        return name, 1
    try:
        return name, max(1, int(count))
    except ValueError:
        return name, 1


def crashpoint(name: str) -> None:
    """SIGKILL this process if ``BLINK_TERMINAL_CRASH_AT`` names ``name`` (and this pass)."""
    spec = os.environ.get(ENV_VAR)
    if not spec:
        return
    target, nth = _target(spec)
    if target != name:
        return
    with _lock:
        _passes[name] = _passes.get(name, 0) + 1
        reached = _passes[name] == nth
    if reached:
        os.kill(os.getpid(), signal.SIGKILL)
