"""The forwarder against an in-memory Blink that loses answers, throttles, expires and crashes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import bolt11
import pytest

from terminal.money.policy import ForwardOutcome, ForwardResult, PolicyConfig
from terminal.money.sale import AttemptOutcome, InvoiceRef, SaleState
from tests.forwarder.fake_blink import SimulatedCrash
from tests.forwarder.harness import MERCHANT_WALLET, POS_WALLET, Rig, make_rig
from tests.support.timing import scaled


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = make_rig(tmp_path)
    yield r
    r.close()


async def test_a_paid_sale_is_forwarded_once(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    result = await rig.forwarder().forward(sale_id)
    assert result.outcome is ForwardOutcome.FORWARDED
    assert rig.journal.sale(sale_id).state is SaleState.FORWARDED
    assert rig.payments_for_sale(sale_id) == 1
    assert rig.blink.payments[0][1] == POS_WALLET
    (attempt,) = rig.journal.attempts(sale_id)
    assert attempt.outcome is AttemptOutcome.SUCCESS
    assert [r.outcome for r in rig.results] == [ForwardOutcome.FORWARDED]


async def test_forwarding_again_changes_nothing(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    await rig.forwarder().forward(sale_id)
    again = await rig.forwarder().forward(sale_id)
    assert again.outcome is ForwardOutcome.FORWARDED
    assert rig.blink.requests["pay"] == 1


async def test_an_unpaid_sale_is_not_forwarded(rig: Rig) -> None:
    sale = rig.journal.begin_sale(100, "", rig.clock.now)
    result = await rig.forwarder().forward(sale.id)
    assert result.outcome is ForwardOutcome.NOT_RECEIVED
    assert sum(rig.blink.requests.values()) == 0


async def test_a_lost_answer_is_resolved_by_asking_not_by_paying_again(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "lost")
    await rig.forwarder().forward(sale_id)
    assert rig.journal.sale(sale_id).state is SaleState.FORWARDED
    assert rig.blink.requests["pay"] == 1
    assert rig.blink.requests["status"] == 1
    assert rig.payments_for_sale(sale_id) == 1
    assert rig.journal.attempts(sale_id)[0].outcome is AttemptOutcome.LOST


async def test_an_unreachable_blink_is_retried_with_the_same_invoice(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "unreachable", "unreachable")
    rig.blink.queue("status", "unreachable")
    await rig.forwarder().forward(sale_id)
    attempts = rig.journal.attempts(sale_id)
    assert len({a.merchant_hash for a in attempts}) == 1
    assert [a.outcome for a in attempts] == [
        AttemptOutcome.LOST,
        AttemptOutcome.LOST,
        AttemptOutcome.SUCCESS,
    ]
    assert rig.payments_for_sale(sale_id) == 1
    # It backed off between tries instead of hammering Blink.
    assert rig.clock.now > attempts[0].started_at


async def test_a_late_repeat_answered_failure_already_paid_counts_as_forwarded(
    tmp_path: Path,
) -> None:
    # The first request lands after we asked (PENDING); the repeat comes after Blink's
    # ALREADY_PAID window, so Blink says FAILURE "Invoice is already paid".
    rig = make_rig(tmp_path, delay=0.5, already_paid_window=0.0)
    try:
        sale_id = rig.paid_sale()
        rig.blink.queue("pay", "delayed")
        await rig.forwarder().forward(sale_id)
        outcomes = [a.outcome for a in rig.journal.attempts(sale_id)]
        assert outcomes == [AttemptOutcome.LOST, AttemptOutcome.FAILURE]
        assert "already paid" in rig.journal.attempts(sale_id)[1].detail
        assert rig.journal.sale(sale_id).state is SaleState.FORWARDED
        assert rig.payments_for_sale(sale_id) == 1
    finally:
        rig.close()


async def test_an_expired_merchant_invoice_is_replaced_and_the_new_one_paid(rig: Rig) -> None:
    sale_id = rig.paid_sale(merchant_expiry=600)
    old = rig.journal.sale(sale_id).merchant
    rig.clock.now += 4 * 3600  # the stall was offline for hours
    await rig.forwarder().forward(sale_id)
    sale = rig.journal.sale(sale_id)
    assert sale.state is SaleState.FORWARDED
    assert sale.replaced_merchants == (old,)
    assert sale.merchant is not None
    assert sale.merchant != old
    assert old is not None
    assert rig.blink.payments_for(old.hash) == 0
    assert rig.blink.payments_for(sale.merchant.hash) == 1
    assert rig.blink.invoices[sale.merchant.hash].wallet_id == MERCHANT_WALLET
    # The replacement names the sale like the first invoice did, so the merchant can match it.
    assert sale.memo == "Table 4"
    assert bolt11.decode(sale.merchant.request).description == f"Table 4 sale {sale_id}"


async def test_a_request_lost_in_flight_is_not_outrun_by_a_replacement(tmp_path: Path) -> None:
    # The pay request is accepted while the invoice is valid but settles 500 s later, after the
    # invoice reads EXPIRED. Replacing at once would pay the merchant twice.
    rig = make_rig(tmp_path, delay=500.0)
    try:
        sale_id = rig.paid_sale(merchant_expiry=100)
        rig.blink.queue("pay", "delayed")
        rig.blink.queue("status", *["unreachable"] * 7)  # ~127 s pass: the invoice expires
        await rig.forwarder().forward(sale_id)
        rig.blink.settle_in_flight()
        assert rig.journal.sale(sale_id).state is SaleState.FORWARDED
        assert rig.blink.requests["create"] == 0
        assert rig.payments_for_sale(sale_id) == 1
    finally:
        rig.close()


async def test_without_the_safety_margin_that_race_pays_twice(tmp_path: Path) -> None:
    # The control for the test above: the fake really can catch a double payment.
    rig = make_rig(tmp_path, delay=500.0)
    try:
        sale_id = rig.paid_sale(merchant_expiry=100)
        rig.blink.queue("pay", "delayed")
        rig.blink.queue("status", *["unreachable"] * 7)
        await rig.forwarder(config=PolicyConfig(replace_safety=0.0)).forward(sale_id)
        rig.blink.settle_in_flight()
        assert rig.payments_for_sale(sale_id) == 2
    finally:
        rig.close()


async def test_insufficient_balance_is_reported_and_retried_slowly(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "insufficient", "insufficient")
    start = rig.clock.now
    await rig.forwarder().forward(sale_id)
    outcomes = [r.outcome for r in rig.results]
    assert outcomes == [ForwardOutcome.FAILING, ForwardOutcome.FAILING, ForwardOutcome.FORWARDED]
    assert "cannot pay" in rig.results[0].detail
    assert rig.clock.now - start >= 2 * PolicyConfig().hard_retry
    assert rig.payments_for_sale(sale_id) == 1


async def test_throttling_is_honoured(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "429")
    start = rig.clock.now
    await rig.forwarder().forward(sale_id)
    assert rig.clock.now - start >= 30.0  # the fake's Retry-After
    assert rig.payments_for_sale(sale_id) == 1


async def test_a_foreign_invoice_in_the_journal_is_never_paid(rig: Rig) -> None:
    sale_id = rig.paid_sale(amount=2100)
    thief = rig.blink.foreign_invoice(210_000, "thief-wallet")
    rig.journal.replace_merchant_invoice(
        sale_id,
        InvoiceRef(thief.payment_request, thief.payment_hash, thief.expires_at),
        rig.clock.now,
    )
    result = await rig.forwarder().forward(sale_id)
    assert result.outcome is ForwardOutcome.HELD
    assert "210000 sats" in result.detail
    assert rig.blink.payments == []
    assert rig.journal.sale(sale_id).state is SaleState.RECEIVED


async def test_a_hanging_request_times_out_and_is_resolved(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "hang")
    await rig.forwarder(call_timeout=scaled(0.2)).forward(sale_id)
    assert rig.journal.attempts(sale_id)[0].outcome is AttemptOutcome.LOST
    assert rig.payments_for_sale(sale_id) == 1


@pytest.mark.parametrize(
    ("operation", "fault"),
    [
        ("pay", "crash-before"),
        ("pay", "crash-after"),
        ("status", "crash"),
        ("create", "crash-after"),
    ],
)
async def test_a_crash_anywhere_then_a_restart_forwards_exactly_once(
    rig: Rig, operation: str, fault: str
) -> None:
    sale_id = rig.paid_sale(merchant_expiry=600)
    if operation != "pay":
        rig.clock.now += 3600  # expired: the restart path asks, then replaces
    if operation == "status":
        rig.blink.queue("pay", "lost")
    rig.blink.queue(operation, fault)
    with pytest.raises(SimulatedCrash):
        await rig.forwarder().forward(sale_id)
    results = await rig.forwarder().drain()
    assert [r.outcome for r in results] == [ForwardOutcome.FORWARDED]
    assert rig.payments_for_sale(sale_id) == 1
    assert all(h in rig.blink.created for h, _ in rig.blink.payments)


async def test_drain_forwards_every_paid_sale(rig: Rig) -> None:
    ids = [rig.paid_sale(amount=1000 + i) for i in range(3)]
    rig.blink.queue("pay", "lost", "unreachable", "failure")
    results = await rig.forwarder().drain()
    assert sorted(r.sale_id for r in results) == sorted(ids)
    assert rig.journal.unforwarded_received() == []
    for sale_id in ids:
        assert rig.payments_for_sale(sale_id) == 1


async def test_run_forwards_at_start_and_whenever_woken(rig: Rig) -> None:
    first = rig.paid_sale()
    forwarded: dict[str, asyncio.Event] = {}

    def on_result(result: ForwardResult) -> None:
        if result.outcome is ForwardOutcome.FORWARDED:
            forwarded.setdefault(result.sale_id, asyncio.Event()).set()

    forwarder = rig.forwarder(on_result=on_result)
    task = asyncio.create_task(forwarder.run())
    try:
        await asyncio.wait_for(forwarded.setdefault(first, asyncio.Event()).wait(), scaled(5))
        second = rig.paid_sale()
        forwarder.wake()
        await asyncio.wait_for(forwarded.setdefault(second, asyncio.Event()).wait(), scaled(5))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert rig.payments_for_sale(first) == 1
    assert rig.payments_for_sale(second) == 1


async def test_a_failure_blink_keeps_giving_is_reported_while_retrying(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    report_after = PolicyConfig().report_after
    rig.blink.queue("pay", *["failure"] * report_after)
    await rig.forwarder().forward(sale_id)
    outcomes = [r.outcome for r in rig.results]
    assert outcomes == [ForwardOutcome.DELAYED, ForwardOutcome.FORWARDED]
    assert "Temporary failure" in rig.results[0].detail
    assert rig.blink.requests["pay"] == report_after + 1
    assert rig.payments_for_sale(sale_id) == 1


async def test_retry_now_ends_a_hard_failures_slow_wait_and_asks_before_paying(rig: Rig) -> None:
    sale_id = rig.paid_sale()
    rig.blink.queue("pay", "insufficient")  # BlinkPOS is empty for now
    failing = asyncio.Event()

    def on_result(result: ForwardResult) -> None:
        if result.outcome is ForwardOutcome.FAILING:
            failing.set()

    async def forever(seconds: float) -> None:
        await asyncio.Event().wait()  # a 15-minute wait that only retry_now can end

    forwarder = rig.forwarder(on_result=on_result, sleep=forever)
    task = asyncio.create_task(forwarder.forward(sale_id))
    await asyncio.wait_for(failing.wait(), scaled(5))
    status_before = rig.blink.requests["status"]
    forwarder.retry_now()  # the operator topped BlinkPOS up and pressed "retry forwards now"
    result = await asyncio.wait_for(task, scaled(5))
    assert result.outcome is ForwardOutcome.FORWARDED
    assert rig.blink.requests["status"] > status_before  # it asked before it paid again
    assert rig.payments_for_sale(sale_id) == 1


@pytest.mark.parametrize("jump", [-86_400.0, -3_600.0, 3_600.0, 86_400.0])
async def test_a_clock_jump_cannot_shorten_the_margin_a_lost_request_is_given(
    tmp_path: Path, jump: float
) -> None:
    # The finding: a pay request lost in flight lands after the invoice reads EXPIRED; time
    # sync had jumped the terminal's clock, its wall-clock margin was "over", a replacement
    # was paid, and the lost request landed too. The margin is on Blink's clock now.
    rig = make_rig(tmp_path, delay=500.0)
    jumped = [0.0]

    def local_clock() -> float:
        return rig.clock.now + jumped[0]

    try:
        sale_id = rig.paid_sale(merchant_expiry=100)
        rig.blink.queue("pay", "delayed")
        rig.blink.queue("status", *["unreachable"] * 7)
        forwarder = rig.forwarder(local_clock=local_clock)
        task = asyncio.create_task(forwarder.forward(sale_id))
        await asyncio.sleep(0)
        jumped[0] = jump  # time sync, mid-forward
        await asyncio.wait_for(task, scaled(10))
        rig.blink.settle_in_flight()
        assert rig.journal.sale(sale_id).state is SaleState.FORWARDED
        assert rig.blink.requests["create"] == 0  # no replacement while the request may land
        assert rig.payments_for_sale(sale_id) == 1
    finally:
        rig.close()


@pytest.mark.parametrize("skew", [-7 * 86_400.0, -3_600.0, 86_400.0])
async def test_a_wrong_clock_neither_stalls_nor_hammers_a_forward(rig: Rig, skew: float) -> None:
    # Behind: a wait computed on the wall clock and slept on the monotonic one once meant hours
    # (7 days behind: 7 days). Ahead by a day: the status was asked once a second, for ever.
    sale_id = rig.paid_sale()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await rig.clock.sleep(seconds)

    forwarder = rig.forwarder(local_clock=lambda: rig.clock.now + skew, sleep=sleep)
    result = await asyncio.wait_for(forwarder.forward(sale_id), scaled(10))
    assert result.outcome is ForwardOutcome.FORWARDED
    assert rig.blink.requests["status"] <= 1
    assert sum(slept) == 0
    assert rig.payments_for_sale(sale_id) == 1
