"""The settler hands a just-received sale to the running forwarder, its first attempt journaled.

The pay request for that attempt leaves first, with no re-read and no status query before it
(nothing can suggest an earlier attempt); everything after it is the ordinary policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.flow.events import Event, PaymentReceived
from terminal.money.forwarder import Forwarder
from terminal.money.policy import ForwardOutcome, ForwardResult
from terminal.money.sale import AttemptOutcome, SaleState
from terminal.money.settling import Settler
from tests.forwarder.harness import Rig, make_rig
from tests.support.timing import scaled


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = make_rig(tmp_path)
    yield r
    r.close()


class Forwards:
    """Each sale's FORWARDED result, awaitable."""

    def __init__(self) -> None:
        self._done: dict[str, asyncio.Event] = {}

    def __call__(self, result: ForwardResult) -> None:
        if result.outcome is ForwardOutcome.FORWARDED:
            self._event(result.sale_id).set()

    def _event(self, sale_id: str) -> asyncio.Event:
        return self._done.setdefault(sale_id, asyncio.Event())

    async def wait(self, sale_id: str) -> None:
        await asyncio.wait_for(self._event(sale_id).wait(), scaled(5))


async def test_a_received_sale_is_paid_at_once_from_its_journaled_attempt(rig: Rig) -> None:
    forwards = Forwards()
    forwarder = rig.forwarder(on_result=forwards)
    events: list[Event] = []
    settler = Settler(rig.thread, events.append, forwarder.wake, rig.clock, payer=forwarder)
    task = asyncio.create_task(forwarder.run())
    try:
        # An earlier sale, forwarded the ordinary way, taught the forwarder Blink's nodes.
        earlier = rig.paid_sale()
        await forwards.wait(earlier)
        assert forwarder.first_pay_plan() is not None
        before = dict(rig.blink.requests)
        sale_id, pos_hash = rig.open_sale()
        assert await settler.received(pos_hash, "test", paid_sats=2100)
        await forwards.wait(sale_id)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    sale = rig.journal.sale(sale_id)
    assert sale.state is SaleState.FORWARDED
    (attempt,) = rig.journal.attempts(sale_id)
    assert attempt.started_at == sale.received_at  # journaled in the receiving transaction
    assert attempt.outcome is AttemptOutcome.SUCCESS
    assert rig.blink.requests["pay"] == before.get("pay", 0) + 1
    assert rig.blink.requests["status"] == before.get("status", 0)  # nothing asked first
    assert rig.payments_for_sale(sale_id) == 1
    assert events == [PaymentReceived(sale_id, 2100)]


async def test_a_forwarder_that_is_not_running_plans_nothing(rig: Rig) -> None:
    """A journal that is not this device's is watched but never forwarded from (no run()):
    its payments are journaled without pay attempts."""
    forwarder: Forwarder = rig.forwarder()
    await forwarder.forward(rig.paid_sale())  # Blink's time and nodes are known now
    assert forwarder.first_pay_plan() is None
    settler = Settler(rig.thread, lambda _: None, forwarder.wake, rig.clock, payer=forwarder)
    sale_id, pos_hash = rig.open_sale()
    assert await settler.received(pos_hash, "test")
    assert rig.journal.sale(sale_id).state is SaleState.RECEIVED
    assert rig.journal.attempts(sale_id) == []


async def test_a_late_duplicate_report_is_read_afresh_and_changes_nothing(rig: Rig) -> None:
    """A duplicate report read the sale before its forward ended: handed over without a first
    pay, the sale is read again, so nothing is paid or reported twice."""
    results: list[ForwardResult] = []
    forwards = Forwards()

    def on_result(result: ForwardResult) -> None:
        results.append(result)
        forwards(result)

    forwarder = rig.forwarder(on_result=on_result)
    task = asyncio.create_task(forwarder.run())
    try:
        sale_id = rig.paid_sale()
        stale = rig.journal.sale(sale_id)  # received, as the duplicate's read saw it
        forwarder.wake()
        await forwards.wait(sale_id)
        pays = rig.blink.requests["pay"]
        forwarder.hand_over(stale, None)
        again = await forwarder.forward(sale_id)  # joins the forward just handed over
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert again == ForwardResult(sale_id, ForwardOutcome.FORWARDED, "already forwarded")
    assert [r.outcome for r in results] == [ForwardOutcome.FORWARDED]
    assert rig.blink.requests["pay"] == pays
