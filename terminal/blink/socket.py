"""One account's WebSocket to Blink: connect, authenticate, multiplex, stay alive, reconnect.

The protocol rules live in ``protocol`` and the policy in ``reconnect``; this module only moves
frames. Blink has no replay (API-NOTES §2), so after every (re)connect the live subscriptions
are sent again and ``on_link(UP)`` tells the app to reconcile open sales over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

from terminal.errors import KeyRejected
from terminal.links import LinkState
from terminal.secret import Secret, redact

from . import protocol
from .reconnect import ConnectionBudget, Disposition, backoff, classify_close

log = logging.getLogger(__name__)

_QUEUE_LIMIT = 256  # a flood from a broken peer must not eat a Pi Zero's memory


def _ignore_link(state: LinkState, reason: str) -> None:
    """The default ``on_link``: nobody is listening."""


# websockets' debug lines quote frames, abridged to head...tail: the tail of a key survives an
# abridged quote that redact() cannot recognise, so frame contents are dropped altogether.
_FRAME_LINE = re.compile(r"^([<>] (?:TEXT|BINARY|CONT)) .*(\[\d+ bytes?\])$", re.DOTALL)


class _RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """Hands websockets' own debug lines through ``redact()``, without frame contents."""

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = str(msg)
        kwargs.pop("exc_info", None)  # a traceback could quote a frame; the line is enough
        text = _FRAME_LINE.sub(r"\1 \2", text)
        self.logger.log(level, "%s", redact(text), **kwargs)


class Subscription:
    """One live subscription: iterate it for ``next`` payloads; :meth:`close` ends it."""

    def __init__(
        self,
        owner: BlinkSocket,
        sub_id: str,
        query: str,
        variables: Mapping[str, object],
        *,
        essential: bool,
    ) -> None:
        self._owner = owner
        self.id = sub_id
        self.query = query
        self.variables = dict(variables)
        self.essential = essential
        self.closed = False
        self._queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()

    def __repr__(self) -> str:
        return f"Subscription(id={self.id!r}, closed={self.closed})"

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Mapping[str, Any]]:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        """Send ``complete`` if connected, stop re-subscribing, end the iteration."""
        if self.closed:
            return
        self.closed = True
        self._owner._forget(self)
        self._put(None)

    def _deliver(self, payload: Mapping[str, Any]) -> None:
        if not self.closed:
            self._put(payload)

    def _put(self, item: Mapping[str, Any] | None) -> None:
        if self._queue.qsize() >= _QUEUE_LIMIT:
            self._queue.get_nowait()
            log.warning("subscription %s: a reader fell behind; dropped its oldest update", self.id)
        self._queue.put_nowait(item)


@dataclass(frozen=True)
class _Ended:
    """How one connection ended."""

    reason: str
    rejected: bool = False
    disposition: Disposition = Disposition.RETRY


class BlinkSocket:
    """The graphql-transport-ws link of one account (one socket, many subscriptions)."""

    def __init__(
        self,
        url: str,
        key: Secret | None,
        *,
        name: str,
        on_link: Callable[[LinkState, str], None] = _ignore_link,
        liveness_timeout: float = 75.0,
        open_timeout: float = 10.0,
        backoff: Callable[[], Iterator[float]] = backoff,
        budget: ConnectionBudget | None = None,
        rejected_retry: float = 300.0,
        healthy_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._key = key
        self._name = name
        self._on_link = on_link
        self._liveness = liveness_timeout
        self._open_timeout = open_timeout
        self._backoff = backoff
        self._budget = budget or ConnectionBudget()
        self._rejected_retry = rejected_retry
        self._healthy_after = healthy_after
        self._clock = clock
        self._subs: dict[str, Subscription] = {}
        self._counter = 0
        self._ws: ClientConnection | None = None
        self._sent: set[str] = set()  # ids subscribed on the current connection
        self._up_since: float | None = None  # when the current connection was acknowledged
        self._wake = asyncio.Event()
        self._closing = False
        self._down_logged = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._wire = _RedactingLogger(logging.getLogger(__name__ + ".wire"), {})

    def __repr__(self) -> str:
        return f"BlinkSocket({self._url!r}, name={self._name!r})"

    def subscribe(
        self, query: str, variables: Mapping[str, object] | None = None, *, essential: bool = False
    ) -> Subscription:
        """Start a subscription now (if connected) and after every reconnect until closed.

        If Blink ends an ``essential`` subscription (``myUpdates``: that is how a bad key shows,
        API-NOTES §2) the connection is treated as lost; any other one that Blink ends (an
        unknown invoice's status: an error, then ``complete``) just ends its iteration.
        """
        self._counter += 1
        sub = Subscription(self, str(self._counter), query, variables or {}, essential=essential)
        self._subs[sub.id] = sub
        if self._ws is not None:
            self._spawn(self._send_subscribe(self._ws, sub))
        return sub

    def reconnect_now(self) -> None:
        """The merchant's RECONNECT key: drop a stale socket and skip the current wait."""
        self._wake.set()
        if self._ws is not None:
            self._spawn(self._ws.close(1000, "reconnect requested"))

    async def close(self) -> None:
        """Close the socket, end every subscription and make :meth:`run` return."""
        self._closing = True
        self._wake.set()
        if self._ws is not None:
            await self._ws.close()
        for sub in list(self._subs.values()):
            sub.close()

    async def run(self) -> None:
        """Connect and stay connected until closed or cancelled; never raises for the peer."""
        delays = self._backoff()
        while not self._closing:
            if not self._budget.try_acquire():
                wait = self._budget.wait_time()
                self._down(f"too many new connections to Blink: waiting {wait:.0f} s")
                await self._sleep(wait)
                continue
            ended = await self._connect_once()
            if self._closing:
                break
            if self._was_healthy():  # a link that stayed up earns a fresh, short backoff series
                delays = self._backoff()
            if ended.rejected:
                self._set(LinkState.REJECTED, ended.reason)
                delay = self._rejected_retry
            else:
                self._down(ended.reason)
                fatal = ended.disposition is Disposition.FATAL
                delay = self._rejected_retry if fatal else next(delays)
            if await self._sleep(delay):
                delays = self._backoff()

    def _was_healthy(self) -> bool:
        # Uptime, not "it delivered something": Blink sends a price tick at once on every
        # connection, so a link that drops right after would never let the backoff grow.
        up = self._up_since
        return up is not None and self._clock() - up >= self._healthy_after

    def _set(self, state: LinkState, reason: str) -> None:
        self._on_link(state, reason)

    def _down(self, reason: str) -> None:
        if not self._down_logged:
            log.warning("%s link down: %s", self._name, reason)
            self._down_logged = True
        else:
            log.debug("%s link still down: %s", self._name, reason)
        self._set(LinkState.DOWN, reason)

    async def _sleep(self, delay: float) -> bool:
        """Wait ``delay`` seconds or until woken; say whether reconnect_now woke us."""
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect_once(self) -> _Ended:
        self._sent = set()
        self._up_since = None
        ws: ClientConnection | None = None
        try:
            try:
                async with asyncio.timeout(self._open_timeout):
                    ws = await connect(
                        self._url,
                        subprotocols=[Subprotocol(protocol.SUBPROTOCOL)],
                        open_timeout=None,  # the enclosing timeout covers open and ack
                        close_timeout=min(2.0, self._open_timeout),  # a dead peer never answers
                        proxy=None,
                        logger=self._wire,
                    )
                    key = self._key.reveal() if self._key is not None else None
                    await ws.send(protocol.connection_init(key))
                    ended = await self._await_ack(ws)
                    if ended is not None:
                        return ended
            except TimeoutError:
                return _Ended(f"Blink did not accept a connection within {self._open_timeout:g} s")
            if self._closing:  # close() came while this connection was being opened
                return _Ended("closing")
            self._ws = ws
            self._up_since = self._clock()
            self._wake.clear()  # a press before this connection was answered by it
            if self._down_logged:
                log.warning("%s link up again", self._name)
            self._down_logged = False
            self._set(LinkState.UP, "connected")
            for sub in list(self._subs.values()):
                await self._send_subscribe(ws, sub)
            return await self._receive(ws)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                return _Ended(str(KeyRejected(self._name)), rejected=True)
            return _Ended(f"Blink refused the connection (HTTP {status})")
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            disposition, reason = classify_close(code)
            return _Ended(reason, disposition=disposition)
        except (OSError, WebSocketException) as exc:
            detail = redact(str(exc))[:120] or type(exc).__name__
            return _Ended(f"cannot reach Blink ({detail})")
        finally:
            self._ws = None
            if ws is not None:
                await ws.close()

    async def _await_ack(self, ws: ClientConnection) -> _Ended | None:
        while True:
            event = protocol.parse_frame(await ws.recv())
            if isinstance(event, protocol.Acked):
                return None
            if isinstance(event, protocol.Pinged):
                await ws.send(protocol.pong())
            else:
                self._ignore(event, "before connection_ack")

    async def _receive(self, ws: ClientConnection) -> _Ended:
        loop = asyncio.get_running_loop()
        last_frame = loop.time()
        while True:
            try:
                async with asyncio.timeout(self._liveness / 3):
                    frame = await ws.recv()
            except TimeoutError:
                if loop.time() - last_frame >= self._liveness:
                    return _Ended(f"no news from Blink for {self._liveness:g} s")
                # Quiet sockets (no price ticks) prove themselves with an app-level ping.
                await ws.send(protocol.ping())
                continue
            last_frame = loop.time()
            event = protocol.parse_frame(frame)
            if isinstance(event, protocol.Pinged):
                await ws.send(protocol.pong())
            elif isinstance(event, protocol.Next | protocol.Errored):
                errors = (
                    event.payload.get("errors")
                    if isinstance(event, protocol.Next)
                    else (list(event.errors))
                )
                if event.id in self._subs and protocol.is_auth_failure(errors):
                    self._route(event)
                    return _Ended(str(KeyRejected(self._name)), rejected=True)
                self._route(event)
            elif isinstance(event, protocol.Completed):
                sub = self._subs.get(event.id)
                if sub is not None and sub.essential:
                    return _Ended("Blink ended a subscription")
                if sub is not None:
                    log.info("%s: Blink ended subscription %s", self._name, sub.id)
                    self._sent.discard(sub.id)  # ended by Blink: no complete to send back
                    sub.close()
            elif isinstance(event, protocol.Ignored):
                self._ignore(event, "")

    def _route(self, event: protocol.Next | protocol.Errored) -> None:
        sub = self._subs.get(event.id)
        if sub is None:
            log.debug("%s: an update for a closed subscription", self._name)
        elif isinstance(event, protocol.Next):
            sub._deliver(event.payload)
        else:
            sub._deliver({"errors": list(event.errors)})

    def _ignore(self, event: protocol.ServerEvent, when: str) -> None:
        reason = event.reason if isinstance(event, protocol.Ignored) else type(event).__name__
        log.warning("%s: ignored %s from Blink %s", self._name, reason, when)

    async def _send_subscribe(self, ws: ClientConnection, sub: Subscription) -> None:
        # Checked and marked before the await, so a reconnect racing a new subscribe() never
        # sends one id twice (the server would close with 4409).
        if ws is not self._ws or sub.closed or sub.id in self._sent:
            return
        self._sent.add(sub.id)
        with contextlib.suppress(ConnectionClosed):
            await ws.send(protocol.subscribe(sub.id, sub.query, sub.variables))

    def _forget(self, sub: Subscription) -> None:
        self._subs.pop(sub.id, None)
        ws = self._ws
        if ws is not None and sub.id in self._sent:
            self._sent.discard(sub.id)
            self._spawn(self._send_complete(ws, sub.id))

    async def _send_complete(self, ws: ClientConnection, sub_id: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(protocol.complete(sub_id))
