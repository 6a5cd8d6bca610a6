"""The forward policy as a table: (sale, attempts, observation, time) -> next step."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.blink.models import InvoiceStatus, PaymentStatus
from terminal.money.policy import (
    DEFAULT_POLICY,
    Action,
    CallLost,
    Do,
    Done,
    FailHard,
    GuardRefused,
    HardFailure,
    Observation,
    PayAnswered,
    PayLost,
    PolicyConfig,
    Replaced,
    Started,
    StatusAnswered,
    Step,
    Throttled,
    Wait,
    backoff,
    is_setback,
    next_step,
    should_report,
)
from terminal.money.sale import ForwardAttempt, InvoiceRef, Sale, SaleState

NOW = 1_800_000_000.0
CFG = PolicyConfig(backoff_base=1.0, backoff_cap=300.0, hard_retry=900.0, replace_safety=600.0)
MERCHANT = InvoiceRef("lnbcmerchant", "m" * 64, NOW + 3600)
SALE = Sale(
    id="t1-x",
    amount_sats=2100,
    memo="",
    state=SaleState.RECEIVED,
    created_at=NOW - 100,
    updated_at=NOW - 100,
    pos=InvoiceRef("lnbcpos", "p" * 64, NOW + 900),
    merchant=MERCHANT,
)
NEAR_EXPIRY = replace(SALE, merchant=replace(MERCHANT, expires_at=NOW + 30))


def attempt(started_at: float, merchant_hash: str = MERCHANT.hash) -> ForwardAttempt:
    """An attempt that left at ``started_at`` on Blink's clock (and the terminal's, here)."""
    return ForwardAttempt(1, SALE.id, merchant_hash, started_at, None, None, "", started_at)


# (name, sale, attempts, observation, failures, expected)
CASES: list[tuple[str, Sale, list[ForwardAttempt], Observation, int, Step]] = [
    ("fresh sale: pay", SALE, [], Started(), 0, Do(Action.PAY)),
    (
        "restart after an attempt: ask first",
        SALE,
        [attempt(NOW - 5)],
        Started(),
        0,
        Do(Action.ASK_STATUS),
    ),
    (
        "attempts only on a replaced invoice: pay the new one",
        SALE,
        [attempt(NOW - 5, "o" * 64)],
        Started(),
        0,
        Do(Action.PAY),
    ),
    ("fresh but nearly expired: ask", NEAR_EXPIRY, [], Started(), 0, Do(Action.ASK_STATUS)),
    ("success", SALE, [], PayAnswered(PaymentStatus.SUCCESS), 0, Done()),
    ("already paid", SALE, [], PayAnswered(PaymentStatus.ALREADY_PAID), 0, Done()),
    (
        "failure proves nothing: ask",
        SALE,
        [],
        PayAnswered(PaymentStatus.FAILURE),
        1,
        Do(Action.ASK_STATUS),
    ),
    ("lost answer: ask", SALE, [], PayLost(), 1, Do(Action.ASK_STATUS)),
    (
        "pending payment: wait, then ask",
        SALE,
        [],
        PayAnswered(PaymentStatus.PENDING),
        1,
        Wait(1.0, Action.ASK_STATUS),
    ),
    ("status paid", SALE, [attempt(NOW)], StatusAnswered(InvoiceStatus.PAID), 1, Done()),
    (
        "status pending, no setback: pay now",
        SALE,
        [attempt(NOW - 5)],
        StatusAnswered(InvoiceStatus.PENDING),
        0,
        Do(Action.PAY),
    ),
    (
        "status pending after setbacks: back off, pay same invoice",
        SALE,
        [attempt(NOW)],
        StatusAnswered(InvoiceStatus.PENDING),
        3,
        Wait(4.0, Action.PAY),
    ),
    (
        "status pending near expiry: let it expire",
        NEAR_EXPIRY,
        [attempt(NOW)],
        StatusAnswered(InvoiceStatus.PENDING),
        1,
        Wait(31.0, Action.ASK_STATUS),
    ),
    (
        "expired, a request young: wait out the margin",
        SALE,
        [attempt(NOW - 100)],
        StatusAnswered(InvoiceStatus.EXPIRED),
        1,
        Wait(500.0, Action.ASK_STATUS),
    ),
    (
        "expired, youngest request decides",
        SALE,
        [attempt(NOW - 700), attempt(NOW - 50)],
        StatusAnswered(InvoiceStatus.EXPIRED),
        1,
        Wait(550.0, Action.ASK_STATUS),
    ),
    (
        "expired, requests old: replace",
        SALE,
        [attempt(NOW - 601)],
        StatusAnswered(InvoiceStatus.EXPIRED),
        1,
        Do(Action.REPLACE),
    ),
    (
        "expired, never tried: replace",
        SALE,
        [],
        StatusAnswered(InvoiceStatus.EXPIRED),
        0,
        Do(Action.REPLACE),
    ),
    (
        "expired, only old invoice tried recently: replace",
        SALE,
        [attempt(NOW - 1, "o" * 64)],
        StatusAnswered(InvoiceStatus.EXPIRED),
        0,
        Do(Action.REPLACE),
    ),
    (
        "status lost: back off, ask",
        SALE,
        [],
        CallLost(Action.ASK_STATUS),
        2,
        Wait(2.0, Action.ASK_STATUS),
    ),
    (
        "replacement lost: back off, replace",
        SALE,
        [],
        CallLost(Action.REPLACE),
        1,
        Wait(1.0, Action.REPLACE),
    ),
    (
        "throttled pay: honour retry-after, then ask (it may have run)",
        SALE,
        [],
        Throttled(Action.PAY, 30.0),
        1,
        Wait(30.0, Action.ASK_STATUS),
    ),
    (
        "throttled status with short retry-after: backoff wins",
        SALE,
        [],
        Throttled(Action.ASK_STATUS, 0.5),
        4,
        Wait(8.0, Action.ASK_STATUS),
    ),
    ("throttled replace", SALE, [], Throttled(Action.REPLACE, None), 1, Wait(1.0, Action.REPLACE)),
    (
        "insufficient balance: hard, retried slowly",
        SALE,
        [],
        HardFailure("balance"),
        1,
        FailHard("balance", 900.0, Action.ASK_STATUS),
    ),
    (
        "guard refused: hard, never retried",
        SALE,
        [],
        GuardRefused("wrong amount"),
        0,
        FailHard("wrong amount", None),
    ),
    (
        "guard refused near expiry: ask (then replace)",
        NEAR_EXPIRY,
        [],
        GuardRefused("expires"),
        0,
        Do(Action.ASK_STATUS),
    ),
    ("replaced: pay the new invoice", SALE, [], Replaced(), 0, Do(Action.PAY)),
    ("already forwarded", replace(SALE, state=SaleState.FORWARDED), [], Started(), 0, Done()),
]


@pytest.mark.parametrize(
    ("sale", "attempts", "observation", "failures", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_policy_table(
    sale: Sale,
    attempts: list[ForwardAttempt],
    observation: Observation,
    failures: int,
    expected: Step,
) -> None:
    # jitter 1.0 makes the backoff exactly base * 2**(failures - 1), so the table can say it.
    step = next_step(
        sale, attempts, observation, now=NOW, failures=failures, jitter=1.0, config=CFG
    )
    assert step == expected


@pytest.mark.parametrize("state", [SaleState.OPEN, SaleState.NEW, SaleState.CANCELLED])
def test_an_unpaid_sale_is_never_paid_out(state: SaleState) -> None:
    step = next_step(replace(SALE, state=state), [], Started(), now=NOW)
    assert isinstance(step, FailHard)
    assert step.retry_in is None


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(n, 1.0, CFG) for n in range(1, 15)]
    assert delays == sorted(delays)
    assert delays[0] == 1.0
    assert max(delays) == CFG.backoff_cap


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.0, max_value=1.0))
def test_jittered_backoff_stays_within_half_and_full_delay(failures: int, jitter: float) -> None:
    full = backoff(failures, 1.0, DEFAULT_POLICY)
    delay = backoff(failures, jitter, DEFAULT_POLICY)
    assert full / 2 <= delay <= full
    assert delay <= DEFAULT_POLICY.backoff_cap


@pytest.mark.parametrize(
    ("observation", "setback"),
    [
        (PayAnswered(PaymentStatus.SUCCESS), False),
        (PayAnswered(PaymentStatus.FAILURE), True),
        (PayAnswered(PaymentStatus.PENDING), True),
        (PayLost(), True),
        (StatusAnswered(InvoiceStatus.PENDING), False),
        (CallLost(Action.ASK_STATUS), True),
        (Throttled(Action.PAY), True),
        (HardFailure("x"), True),
        (Replaced(), False),
        (Started(), False),
    ],
)
def test_setbacks(observation: Observation, setback: bool) -> None:
    assert is_setback(observation) is setback


@given(
    st.sampled_from([Started(), PayLost(), Replaced(), PayAnswered(PaymentStatus.FAILURE)]),
    st.lists(st.floats(min_value=NOW - 10_000, max_value=NOW), max_size=5),
    st.integers(min_value=0, max_value=50),
)
def test_a_replacement_never_follows_a_young_pay_request(
    observation: Observation, starts: list[float], failures: int
) -> None:
    attempts = [attempt(s) for s in starts]
    first = next_step(SALE, attempts, observation, now=NOW, failures=failures, config=CFG)
    # Whatever came before, replacing needs an EXPIRED status first, and then old requests only.
    assert first != Do(Action.REPLACE)
    step = next_step(
        SALE,
        attempts,
        StatusAnswered(InvoiceStatus.EXPIRED),
        now=NOW,
        failures=failures,
        config=CFG,
    )
    young = any(NOW - s < CFG.replace_safety for s in starts)
    assert (step == Do(Action.REPLACE)) is not young


def test_the_operator_is_told_after_every_run_of_setbacks() -> None:
    config = PolicyConfig(report_after=3)
    told = [n for n in range(10) if should_report(n, config)]
    assert told == [3, 6, 9]
