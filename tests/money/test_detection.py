"""Detection in-process against the sandbox: degraded polling, the probe, and the cadence loop.

Detection is built by hand here (its journal thread, the real settler, a recording board) so the
cadence's tick can be short; everything else is as the terminal runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from terminal.blink.http import BlinkHttp
from terminal.blink.socket import BlinkSocket
from terminal.flow.events import Event, PaymentReceived
from terminal.links import LinkState
from terminal.money.detection import Detection, OnLink
from terminal.money.journal import Journal
from terminal.money.sale import InvoiceRef, SaleState
from terminal.money.settling import Settler
from terminal.money.worker import JournalThread
from terminal.sandbox import Sandbox
from terminal.secret import Secret
from tests.support.timing import scaled

AMOUNT = 2100


@dataclass
class Board:
    """Records what detection reports about the BlinkPOS link."""

    sockets: list[LinkState] = field(default_factory=list)
    http: list[bool] = field(default_factory=list)

    def pos_socket(self, state: LinkState, reason: str) -> None:
        self.sockets.append(state)

    def pos_http_answered(self) -> None:
        self.http.append(True)

    def pos_http_failed(self, reason: str, *, rejected: bool = False) -> None:
        self.http.append(False)


@dataclass
class Running:
    detection: Detection
    board: Board
    events: list[Event]
    journal: Journal


@contextlib.asynccontextmanager
async def running(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Running]:
    key = Secret("BlinkPOS", sandbox.keys["blinkpos"])
    http = BlinkHttp(sandbox.http_url, key, timeout=scaled(2))
    thread = JournalThread.start(tmp_path)
    reader = Journal.open(tmp_path)
    events: list[Event] = []
    board = Board()

    def open_socket(on_link: OnLink) -> BlinkSocket:
        return BlinkSocket(sandbox.ws_url, key, name="BlinkPOS", on_link=on_link)

    settler = Settler(thread, events.append, lambda: None, lambda: 1_800_000_000.0)
    detection = Detection(
        thread, http, open_socket, settler, board, poll_interval=0.2, probe_interval=0.2, tick=0.2
    )
    task = asyncio.create_task(detection.run())
    try:
        yield Running(detection, board, events, reader)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await detection.socket.close()
        await http.aclose()
        reader.close()
        thread.close()


async def until(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    async with asyncio.timeout(scaled(within)):
        # Polls: the condition is in another component's hands, with nothing to wait on.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def open_sale(sandbox: Sandbox, journal: Journal, *, lapsed: bool = False) -> tuple[str, str]:
    """A sale with a real POS invoice on the sandbox, journaled open (or lapsed)."""
    sale = journal.begin_sale(AMOUNT, "memo", 1_800_000_000.0)
    http = BlinkHttp(sandbox.http_url, Secret("BlinkPOS", sandbox.keys["blinkpos"]))
    pos = await http.create_invoice(sandbox.wallet_id("blinkpos"), AMOUNT, external_id=sale.id)
    await http.aclose()
    journal.record_invoices(
        sale.id,
        InvoiceRef(pos.payment_request, pos.payment_hash, pos.expires_at),
        InvoiceRef("lnbcmerchant", "f" * 64, pos.expires_at + 86_400),
        1_800_000_000.0,
    )
    if lapsed:
        journal.mark_lapsed(sale.id, 1_800_000_000.0)
    return sale.id, pos.payment_request


async def test_with_the_socket_down_and_http_up_open_sales_are_polled(
    sandbox: Sandbox, tmp_path: Path, journal: Journal
) -> None:
    sale_id, request = await open_sale(sandbox, journal)
    sandbox.faults.set_network(ws=False)  # the socket cannot connect; HTTP works
    async with running(sandbox, tmp_path) as run:
        await until(lambda: LinkState.DOWN in run.board.sockets, "the socket down")
        assert await sandbox.pay(request) == "SUCCESS"
        await until(lambda: PaymentReceived(sale_id, AMOUNT) in run.events, "found by polling")
    assert journal.sale(sale_id).state is SaleState.RECEIVED


async def test_with_nothing_open_a_down_socket_only_probes(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.faults.set_network(ws=False)
    async with running(sandbox, tmp_path) as run:
        await until(lambda: run.board.http.count(True) >= 2, "probes answered")
    assert sandbox.stats.describe()["http"].get("RealtimePrice", 0) >= 2


async def test_a_lapsed_sale_paid_later_is_found_by_its_cadence(
    sandbox: Sandbox, tmp_path: Path, journal: Journal
) -> None:
    sale_id, request = await open_sale(sandbox, journal, lapsed=True)
    async with running(sandbox, tmp_path) as run:
        await until(lambda: LinkState.UP in run.board.sockets, "the socket up")
        sandbox.faults.lose_events(True)  # the push is lost; nothing watches a lapsed sale
        assert await sandbox.pay(request) == "SUCCESS"
        # A young sale is asked about every 30 s (cadence.MIN_INTERVAL): within one interval.
        await until(
            lambda: PaymentReceived(sale_id, AMOUNT) in run.events, "found by its cadence", 40
        )
    assert journal.sale(sale_id).state is SaleState.RECEIVED
