"""Payment detection on the BlinkPOS account: push first, queries to catch up, polls if degraded.

* ``myUpdates`` on the BlinkPOS socket reports every paid invoice of the account (ours and other
  terminals'); the status subscription of the shown invoice re-emits its status on every
  (re)subscribe, which recovers a payment missed while the socket was down.
* Push first, never push only: Blink has no replay, and an event can be lost on a socket that
  looks alive. So the shown invoice is also asked about over HTTP every few seconds, and every
  other unsettled sale (lapsed ones too, however old) on a slower cadence that backs off with
  age, while the socket is up; after every (re)connect the recent ones are asked at once. The
  cadence is in :mod:`terminal.money.cadence`.
* While the socket is down but HTTP works, open invoices are polled slowly (degraded).

Detection owns the BlinkPOS socket: the socket reports to it, and it reports the link's state
(socket and HTTP) to the link board. Whatever it learns about a payment goes to the settler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from terminal.blink import documents
from terminal.blink.http import BlinkHttp
from terminal.blink.models import InvoiceStatus
from terminal.blink.socket import BlinkSocket, Subscription
from terminal.blink.updates import LnPaid, UpdateError, parse_invoice_status, parse_my_update
from terminal.errors import BlinkError, KeyRejected, ScopeDenied
from terminal.links import LinkState
from terminal.money import cadence
from terminal.money.cadence import Watched
from terminal.money.journal import Journal
from terminal.money.settling import Settler
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)

T = TypeVar("T")

OnLink = Callable[[LinkState, str], None]


class LinkReporter(Protocol):
    """Where detection reports the BlinkPOS link's two halves (the link board)."""

    def pos_socket(self, state: LinkState, reason: str) -> None:
        """The socket changed state."""

    def pos_http_answered(self) -> None:
        """An HTTP call got an answer."""

    def pos_http_failed(self, reason: str, *, rejected: bool = False) -> None:
        """An HTTP call failed (``rejected``: the key was refused)."""


class Detection:
    """Finds out, by every means available, which of this terminal's invoices are paid."""

    def __init__(
        self,
        journal: JournalThread,
        http: BlinkHttp,
        open_socket: Callable[[OnLink], BlinkSocket],
        settler: Settler,
        board: LinkReporter,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        poll_interval: float = 5.0,
        probe_interval: float = 15.0,
        tick: float = cadence.TICK,
    ) -> None:
        self._journal = journal
        self._http = http
        self._settler = settler
        self._board = board
        self._clock = clock
        self._monotonic = monotonic
        self._poll_interval = poll_interval
        self._probe_interval = probe_interval
        self._tick = tick
        self._socket_state = LinkState.CONNECTING
        self._catch_up = asyncio.Event()
        self._watched: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self._group: asyncio.TaskGroup | None = None
        self.socket = open_socket(self._socket_changed)

    def _socket_changed(self, state: LinkState, reason: str) -> None:
        self._socket_state = state
        self._board.pos_socket(state, reason)
        if state is LinkState.UP:
            self._catch_up.set()  # every (re)connect: ask about everything unsettled

    async def run(self) -> None:
        """Run the socket, consume ``myUpdates`` and keep open sales reconciled, forever."""
        updates = self.socket.subscribe(documents.MY_UPDATES, essential=True)
        self._catch_up.set()  # start-up: query every open sale once
        # Every task detection starts, the status watchers included, lives in this group: one
        # that dies takes the terminal down (and systemd restarts it) instead of failing quietly.
        async with asyncio.TaskGroup() as group:
            self._group = group
            group.create_task(self.socket.run(), name="pos socket")
            group.create_task(self._consume_updates(updates), name="myUpdates")
            group.create_task(self._reconcile_loop(), name="reconcile")
            group.create_task(self._cadence_loop(), name="cadence")

    def watch(self, sale_id: str, payment_hash: str) -> None:
        """Watch the shown invoice: its status subscription, and a status query every few seconds.

        The subscription re-emits the status on every (re)subscribe; the queries are there for
        the event that gets lost on a socket that looks alive (Blink has no replay).
        """
        if sale_id in self._watched:
            return
        sub = self.socket.subscribe(
            documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, {"input": {"paymentHash": payment_hash}}
        )
        task = self._spawn(self._watch_shown(sub, payment_hash))
        self._watched[sale_id] = (sub, task)

    def unwatch(self, sale_id: str) -> None:
        """Stop watching ``sale_id`` (its cadence and ``myUpdates`` still see a late payment)."""
        entry = self._watched.pop(sale_id, None)
        if entry is not None:
            sub, task = entry
            sub.close()
            task.cancel()

    def catch_up(self) -> None:
        """Blink answers again after an outage: ask about every unsettled sale now.

        Payments made while the terminal could not hear them (no replay on Blink's side) are
        found at once, not at the next poll or reconnect; a socket that is down reconnects now
        (within Blink's connection budget, as the RECONNECT key does).
        """
        self._catch_up.set()
        if self._socket_state is not LinkState.UP:
            # The socket waits out its backoff (up to 30 s after a long gap): try it now, so
            # payments are pushed again, and sales can start, as soon as the network is back.
            self.socket.reconnect_now()

    def confirm(self, payment_hash: str) -> None:
        """Ask Blink about one invoice now (before the screen may say it was not paid)."""
        self._spawn(self._query(payment_hash))

    # --- internals --------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        if self._group is None:
            work.close()
            raise RuntimeError("detection is not running yet: start run() first")
        return self._group.create_task(work)

    async def _reach(self, call: Awaitable[T]) -> T | None:
        """``call``'s answer, or None; either way the board learns whether Blink's HTTP answered."""
        try:
            answer = await call
        except (KeyRejected, ScopeDenied) as exc:
            self._board.pos_http_failed(str(exc), rejected=True)
            return None
        except BlinkError as exc:
            self._board.pos_http_failed(str(exc))
            return None
        self._board.pos_http_answered()
        return answer

    async def _query(self, payment_hash: str) -> bool:
        """Ask Blink for one invoice's status and apply it; say whether Blink answered."""
        status = await self._reach(self._http.invoice_status(payment_hash))
        if status is None:
            return False
        await self._apply(payment_hash, status, "status query")
        return True

    async def _apply(self, payment_hash: str, status: InvoiceStatus, source: str) -> None:
        if status is InvoiceStatus.PAID:
            await self._settler.received(payment_hash, source)
        elif status is InvoiceStatus.EXPIRED:
            await self._settler.lapsed(payment_hash)

    async def _consume_updates(self, updates: Subscription) -> None:
        async for payload in updates:
            update = parse_my_update(payload)
            if isinstance(update, LnPaid):
                await self._settler.received(
                    update.payment_hash, "myUpdates", paid_sats=update.amount_sats
                )
            elif isinstance(update, UpdateError):
                log.warning("BlinkPOS update with an error: %s", update.message)

    async def _watch_shown(self, sub: Subscription, payment_hash: str) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume_status(sub))
            group.create_task(self._confirm_shown(payment_hash))

    async def _confirm_shown(self, payment_hash: str) -> None:
        await asyncio.sleep(cadence.SHOWN_FIRST)
        while True:
            await self._query(payment_hash)
            await asyncio.sleep(cadence.SHOWN_EVERY)

    async def _consume_status(self, sub: Subscription) -> None:
        async for payload in sub:
            news = parse_invoice_status(payload)
            if isinstance(news, UpdateError):
                log.warning("invoice status error: %s", news.message)
                continue
            await self._apply(news.payment_hash, news.status, "status subscription")

    async def _reconcile_loop(self) -> None:
        """After every (re)connect, and while the socket is down, ask about the recent sales."""
        # A query that went unanswered (a 500, a timeout, a 429 amid a restart's burst) must be
        # asked again even while the socket is up: Blink has no replay, so a sale paid during an
        # outage would otherwise wait for the next reconnect or restart to be forwarded.
        owed: list[Watched] = []
        while True:
            timeout: float | None = None
            if owed:
                timeout = self._poll_interval
            elif self._socket_state is not LinkState.UP:
                # Degraded: poll the open invoices slowly; with none open, only probe, slower.
                busy = bool(await self._journal.call(Journal.unsettled_sales))
                timeout = self._poll_interval if busy else self._probe_interval
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._catch_up.wait()
            if self._catch_up.is_set():
                self._catch_up.clear()
                listed = await self._journal.call(Journal.watch_list)
                owed = cadence.catch_up(listed, now=self._clock())
            elif self._socket_state is not LinkState.UP:
                listed = await self._journal.call(Journal.watch_list)
                owed = [w for w in listed if not w.lapsed] or owed
            if owed:
                owed = await self._ask(owed)
            elif self._socket_state is not LinkState.UP:
                await self._probe()

    async def _cadence_loop(self) -> None:
        """While the socket is up, ask about each unsettled sale on its own slower cadence."""
        previous = self._monotonic()
        while True:
            await asyncio.sleep(self._tick)
            this = self._monotonic()
            if self._socket_state is LinkState.UP:
                listed = await self._journal.call(Journal.watch_list)
                due = cadence.due(listed, now=self._clock(), previous_tick=previous, this_tick=this)
                await self._ask(due)
            previous = this

    async def _ask(self, sales: list[Watched]) -> list[Watched]:
        """Query up to ``MAX_PER_TICK`` of ``sales``; those still owed an answer (or not asked)."""
        owed = sales[cadence.MAX_PER_TICK :]
        for sale in sales[: cadence.MAX_PER_TICK]:
            if not await self._query(sale.pos_hash):
                owed.append(sale)
        return owed

    async def _probe(self) -> None:
        """With nothing open to poll, a cheap public query tells whether Blink's HTTP side is up."""
        await self._reach(self._http.realtime_price("USD"))
