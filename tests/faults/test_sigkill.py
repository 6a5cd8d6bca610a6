"""SIGKILL at every named crash point of a sale, then a restart: the money moves exactly once.

The terminal is the real process (``python -m terminal run``); the kill is the crash point's own
SIGKILL, which skips every ``finally`` as a power cut would. After each restart the sandbox's
ledger is the judge (``tests.faults.ledger_check``).
"""

from __future__ import annotations

import signal

import pytest

from terminal.money import crashpoints as cp
from terminal.sandbox.server import TIP_RECIPIENT
from tests.faults.harness import Harness, TerminalDied
from tests.faults.ledger_check import check_exactly_once, read_book

# Points a plain sale passes through, in order.
SALE_POINTS = (
    cp.AFTER_BEGIN_SALE,
    cp.AFTER_RECORD_INVOICES,
    cp.AFTER_MARK_RECEIVED,
    cp.BEFORE_PAY,
    cp.AFTER_PAY_SENT,
    cp.AFTER_PAY_ANSWER,
    cp.AFTER_MARK_FORWARDED,
)
# Points only a sale whose merchant invoice expired unpaid passes through.
# A sale with a tip for someone else pays two invoices: the forwarder's points pass twice, the
# second time for the tip's payout ("name:2").
TIP_POINTS = (
    *SALE_POINTS,
    *(f"{point}:2" for point in (cp.BEFORE_PAY, cp.AFTER_PAY_SENT, cp.AFTER_PAY_ANSWER)),
)
REPLACE_POINTS = (cp.BEFORE_REPLACE, cp.AFTER_REPLACE_CREATED, cp.AFTER_REPLACE_JOURNALED)
DAY_AND_AN_HOUR = 25 * 3600.0  # past the merchant invoice's 24 h expiry


def test_every_crash_point_is_exercised() -> None:
    """A crash point added to the terminal must be added here too, or it is never tested."""
    assert sorted(SALE_POINTS + REPLACE_POINTS) == sorted(cp.ALL_POINTS)


def _die_and_finish(harness: Harness) -> None:
    """The life must have died by SIGKILL; a clean life then settles everything owed."""
    assert harness.wait_dead() == -signal.SIGKILL
    assert harness.start(), "the terminal died again without a crash point set"


@pytest.mark.parametrize("point", SALE_POINTS)
def test_sigkill_during_a_sale(harness: Harness, point: str) -> None:
    """Killed at ``point`` of a sale, restarted: every paid sale reached the merchant once."""
    assert harness.start(crash_at=point)
    amounts = {}
    try:
        first = harness.open_sale(1234)
    except TerminalDied:
        # Only the first journal write comes before the invoices exist: nothing to pay.
        assert point == cp.AFTER_BEGIN_SALE
    else:
        # The invoice may never have been shown (killed right after journaling it); paying it
        # anyway is the harder case: the journal knows it, so it must still be forwarded.
        assert harness.pay(first) == "SUCCESS"
        amounts[first.id] = 1234
    _die_and_finish(harness)
    # A sale that died before its invoices were journaled never showed a QR: failed, not open.
    unshown = [s.state for s in harness.journal().values() if s.pos_hash is None]
    assert unshown == (["failed"] if point == cp.AFTER_BEGIN_SALE else [])
    second = harness.open_sale(4321)
    assert harness.pay(second) == "SUCCESS"
    amounts[second.id] = 4321
    harness.wait_nothing_owed()
    assert harness.stop() == 0

    verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    assert verdict.clean, verdict
    assert verdict.forwarded_once == len(amounts)
    assert harness.sb.balance("merchant") == sum(amounts.values())
    assert harness.sb.balance("blinkpos") == 0  # BlinkPOS holds money only in transit


@pytest.mark.parametrize("point", REPLACE_POINTS)
def test_sigkill_while_replacing_an_expired_merchant_invoice(harness: Harness, point: str) -> None:
    """Paid, then offline past the merchant invoice's expiry, killed mid-replacement: once."""
    assert harness.start(crash_at=cp.AFTER_MARK_RECEIVED)
    sale = harness.open_sale(2500)
    assert harness.pay(sale) == "SUCCESS"
    assert harness.wait_dead() == -signal.SIGKILL
    original = harness.journal()[sale.id].merchant_hashes
    assert len(original) == 1

    harness.sb.clock.advance(DAY_AND_AN_HOUR)
    if harness.start(crash_at=point, clock_offset=DAY_AND_AN_HOUR):
        assert harness.wait_dead() == -signal.SIGKILL
    else:
        assert harness.proc is not None
        assert harness.proc.returncode == -signal.SIGKILL
    assert harness.start(clock_offset=DAY_AND_AN_HOUR)
    harness.wait_forwarded(sale.id)
    assert harness.stop() == 0

    book = read_book(harness.sb)
    verdict = check_exactly_once(book, harness.journal())
    assert verdict.clean, verdict
    assert verdict.forwarded_once == 1
    assert harness.sb.balance("merchant") == 2500
    # The first merchant invoice expired unpaid and was replaced; only a replacement was paid.
    assert book.invoices[original[0]].status == "EXPIRED"
    merchant_paid = [p for p in book.payments if p.receiver_wallet_id == book.merchant_wallet]
    assert [p.payment_hash for p in merchant_paid] != [original[0]]
    assert harness.journal()[sale.id].merchant_hashes[-1] == merchant_paid[0].payment_hash


@pytest.mark.parametrize("point", TIP_POINTS)
def test_sigkill_during_a_tipped_sale(tipping: Harness, point: str) -> None:
    """Killed at ``point`` of a sale whose tip goes to someone else, restarted: the merchant got
    the amount and the recipient the tip, each exactly once."""
    harness = tipping
    assert harness.start(crash_at=point)
    owed = {"merchant": 0, TIP_RECIPIENT: 0}
    try:
        first = harness.open_sale(1234, tip_key="2")  # 10 %: 123 sats of tip
    except TerminalDied:
        assert point == cp.AFTER_BEGIN_SALE
    else:
        assert (first.amount, first.tip) == (1234 + 123, 123)
        assert len(first.tip_hashes) == 1  # the tip's invoice was made before the QR
        assert harness.pay(first) == "SUCCESS"
        owed["merchant"] += 1234
        owed[TIP_RECIPIENT] += 123
    _die_and_finish(harness)
    second = harness.open_sale(4321, tip_key="3")  # 15 %: 648 sats (648.15, to the nearest)
    assert (second.amount, second.tip) == (4321 + 648, 648)
    assert harness.pay(second) == "SUCCESS"
    owed["merchant"] += 4321
    owed[TIP_RECIPIENT] += 648
    harness.wait_nothing_owed()
    assert harness.stop() == 0

    verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    assert verdict.clean, verdict
    assert verdict.forwarded_once == (1 if point == cp.AFTER_BEGIN_SALE else 2)
    assert {who: harness.sb.balance(who) for who in owed} == owed
    assert harness.sb.balance("blinkpos") == 0
