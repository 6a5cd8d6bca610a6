"""A seeded run of many sales with SIGKILLs at random crash points: 0 lost, 0 doubled.

Each process lifetime is given one ``name:N`` crash point (the Nth pass of that point in that
life), so kills land at every step of the money path, spread over many sales per life, and the
run stays quick. A few lives get no crash point and end with a clean SIGTERM instead. The
terminal offers tips paid to a recipient of their own, and about half the sales take one, so the
run mixes one-payout and two-payout sales.
``BLINK_FAULT_SEED`` replays a run; the seed is printed either way.
"""

from __future__ import annotations

import os
import random

import pytest

from terminal.money.pricing import tip_of
from terminal.sandbox.server import TIP_RECIPIENT
from tests.faults.harness import Harness, TerminalDied
from tests.faults.ledger_check import check_exactly_once, read_book
from tests.faults.test_sigkill import TIP_POINTS

SALES = 200
MAX_PASSES = 6  # N in name:N: how many sales a life survives at most, per point
CLEAN_LIFE_CHANCE = 0.1
TIP_KEYS = {"1": 0, "2": 10, "3": 15, "4": 20}  # the tip screen's keys: none, then the presets


def _crash_spec(rng: random.Random) -> str | None:
    if rng.random() < CLEAN_LIFE_CHANCE:
        return None
    point, _, _ = rng.choice(TIP_POINTS).partition(":")
    return f"{point}:{rng.randint(1, MAX_PASSES)}"


@pytest.mark.slow
def test_many_sales_with_random_kills(tipping: Harness) -> None:
    """Every one of SALES paid sales reaches the merchant exactly once, however often we die."""
    seed = int(os.environ.get("BLINK_FAULT_SEED") or random.randrange(2**32))
    print(f"random kill run: seed={seed} (replay with BLINK_FAULT_SEED={seed})")
    rng = random.Random(seed)
    harness = tipping
    expected: dict[str, int] = {}
    tips: dict[str, int] = {}
    # A bound on lives, not on time: every life makes progress (a kill follows a commit).
    life_sales = 0
    for _ in range(SALES * 3):
        if len(expected) >= SALES:
            break
        if harness.alive() and life_sales >= 2 * MAX_PASSES:
            assert harness.stop() == 0  # a life whose crash point never came: a clean restart
        if not harness.alive():
            life_sales = 0
            if not harness.start(crash_at=_crash_spec(rng)):
                continue  # died while starting up: its crash point fired on what it owed
        life_sales += 1
        amount = rng.randint(1, 50_000)
        key = rng.choice("1111234")  # no tip as often as a tip
        try:
            sale = harness.open_sale(amount, tip_key=key)
        except TerminalDied:
            continue
        tip = tip_of(amount, TIP_KEYS[key])
        assert (sale.amount, sale.tip) == (amount + tip, tip)
        assert harness.pay(sale) == "SUCCESS"
        expected[sale.id] = amount
        tips[sale.id] = tip
        try:
            harness.wait_forwarded(sale.id)
        except TerminalDied:
            continue
    assert len(expected) >= SALES, f"only {len(expected)} sales in {harness.lives} lives"

    # A last life with no crash point settles whatever the last kill left owed.
    harness.stop()
    assert harness.start()
    harness.wait_nothing_owed()
    assert harness.stop() == 0

    verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    print(
        f"seed={seed}: {len(expected)} sales ({sum(1 for t in tips.values() if t)} tipped), "
        f"{harness.lives} lives, {harness.kills} kills; "
        f"{verdict}"
    )
    assert verdict.clean, f"seed={seed}: {verdict}"
    assert verdict.paid == len(expected)
    assert verdict.forwarded_once == len(expected)
    assert harness.kills >= SALES // MAX_PASSES // 2, "too few kills to mean anything"
    assert harness.sb.balance("merchant") == sum(expected.values())
    assert harness.sb.balance(TIP_RECIPIENT) == sum(tips.values())
    assert harness.sb.balance("blinkpos") == 0
