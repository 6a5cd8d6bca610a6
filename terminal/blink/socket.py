"""One account's WebSocket to Blink: connect, authenticate, multiplex, stay alive, reconnect.

The protocol rules live in ``protocol`` and the policy in ``reconnect``; this module only moves
frames. Blink has no replay (API-NOTES §2), so after every (re)connect the live subscriptions
are sent again and ``on_link(UP)`` tells the app to reconcile open sales over HTTP.

A connection counts as UP only once every essential subscription (``myUpdates``) has delivered
a clean first ``next``: Blink acknowledges a bad key too, and sends a price tick at once on a
good one. It stays UP only while Blink's own subscription frames keep coming within the
liveness bound: the answers to the terminal's pings prove that a path exists, not that events
flow (a socket whose subscriptions went quiet answers pings just as well). Blink's own
protocol-level pings cannot count either: websockets answers them inside the connection and
reports them through no public interface (only a private method sees them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from terminal.errors import KeyRejected
from terminal.links import LinkState
from terminal.secret import Secret, redact

from . import protocol
from .reconnect import ConnectionBudget, Disposition, backoff, classify_close, delay_after
from .session import SHOWN_MESSAGE, Ended, Session
from .subscription import Subscription
from .wirelog import RedactingLogger

__all__ = ["DEFAULT_MAX_MESSAGE", "BlinkSocket", "Subscription"]

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE = 256 * 1024
"""The largest WebSocket message accepted: Blink's updates are about a kilobyte."""


def _ignore_link(state: LinkState, reason: str) -> None:
    """The default ``on_link``: nobody is listening."""


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
        later_retry: float = 60.0,
        healthy_after: float = 30.0,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE,
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
        self._later_retry = later_retry
        self._healthy_after = healthy_after
        self._max_message = max_message_bytes
        self._clock = clock
        self._subs: dict[str, Subscription] = {}
        self._counter = 0
        self._ws: ClientConnection | None = None
        self._session = Session(name)  # the ledger of the current (or last) connection
        self._up_since: float | None = None  # when the current connection was reported UP
        self._previous_close: int | None = None  # the close code that ended the last connection
        self._reconnect_asked = False
        self._wake = asyncio.Event()
        self._closing = False
        self._down_logged = False
        self._bug_logged: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._wire = RedactingLogger(logging.getLogger(__name__ + ".wire"), {})

    def __repr__(self) -> str:
        return f"BlinkSocket({self._url!r}, name={self._name!r})"

    def subscribe(
        self, query: str, variables: Mapping[str, object] | None = None, *, essential: bool = False
    ) -> Subscription:
        """Start a subscription now (if connected) and after every reconnect until closed.

        If Blink refuses or ends an ``essential`` subscription (``myUpdates``: that is how a bad
        key shows, API-NOTES §2) the connection is treated as lost; any other one that Blink
        refuses or ends (an unknown invoice's status) just ends its own iteration.
        """
        self._counter += 1
        sub = Subscription(
            self._forget, str(self._counter), query, variables or {}, essential=essential
        )
        self._subs[sub.id] = sub
        if self._ws is not None:
            self._spawn(self._send_subscribe(self._ws, sub))
        return sub

    def reconnect_now(self) -> None:
        """The merchant's RECONNECT key: replace the connection, even a live one, or stop waiting.

        The new connection still needs the connection budget (Blink's 10 a minute).
        """
        self._wake.set()
        if self._ws is not None:
            self._reconnect_asked = True
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
                self._previous_close = None
            self._previous_close = ended.close_code
            if self._reconnect_asked:
                self._reconnect_asked = False
                self._wake.clear()
                self._down("reconnecting, as asked")
                continue
            if ended.rejected:
                self._set(LinkState.REJECTED, ended.reason)
                delay = self._rejected_retry
            else:
                self._down(ended.reason, bug=ended.terminal_bug, fault=ended.refused)
                fatal = ended.disposition is Disposition.FATAL
                delay = delay_after(
                    ended.disposition,
                    0.0 if fatal else next(delays),
                    later=self._later_retry,
                    fatal=self._rejected_retry,
                )
            if await self._sleep(delay):
                delays = self._backoff()

    def _was_healthy(self) -> bool:
        # Uptime, not "it delivered something": Blink sends a price tick at once on every
        # connection, so a link that drops right after would never let the backoff grow.
        up = self._up_since
        return up is not None and self._clock() - up >= self._healthy_after

    def _set(self, state: LinkState, reason: str) -> None:
        self._on_link(state, reason)

    def _down(self, reason: str, *, bug: bool = False, fault: bool = False) -> None:
        if bug and reason != self._bug_logged:
            # The terminal sent something Blink cannot accept: an operator must update it.
            log.error("%s link down: %s", self._name, reason)
            self._bug_logged = reason
            self._down_logged = True
        elif not self._down_logged:
            log.warning("%s link down: %s", self._name, reason)
            self._down_logged = True
        else:
            log.debug("%s link still down: %s", self._name, reason)
        # A refusal or a bug is not a network drop: polling must not stand in for it.
        self._set(LinkState.FAULT if bug or fault else LinkState.DOWN, reason)

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

    async def _connect_once(self) -> Ended:
        self._session = Session(self._name)
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
                        max_size=self._max_message,
                        proxy=None,
                        logger=self._wire,
                    )
                    key = self._key.reveal() if self._key is not None else None
                    await ws.send(protocol.connection_init(key))
                    await self._await_ack(ws)
            except TimeoutError:
                return Ended(f"Blink did not accept a connection within {self._open_timeout:g} s")
            if self._closing:  # close() came while this connection was being opened
                return Ended("closing")
            self._ws = ws
            self._wake.clear()  # a press before this connection was answered by it
            for sub in list(self._subs.values()):
                await self._send_subscribe(ws, sub)
            return await self._receive(ws)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                return Ended(str(KeyRejected(self._name)), rejected=True)
            return Ended(f"Blink refused the connection (HTTP {status})")
        except ConnectionClosed as exc:
            return self._closed(exc)
        except (OSError, WebSocketException) as exc:
            detail = redact(str(exc))[:120] or type(exc).__name__
            return Ended(f"cannot reach Blink ({detail})")
        finally:
            self._ws = None
            if ws is not None:
                await ws.close()

    def _closed(self, exc: ConnectionClosed) -> Ended:
        if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:
            # websockets refused a message over max_size: the whole connection goes with it.
            limit = self._max_message // 1024
            return Ended(f"Blink sent a message larger than {limit} KiB, the terminal's limit")
        code = exc.rcvd.code if exc.rcvd is not None else None
        reason = redact(exc.rcvd.reason)[:SHOWN_MESSAGE] if exc.rcvd is not None else ""
        # The same close again, with no healthy connection between: our request, not a hiccup.
        repeated = code is not None and code == self._previous_close and not self._was_healthy()
        verdict = classify_close(code, reason, repeated=repeated)
        return Ended(
            verdict.reason,
            disposition=verdict.disposition,
            terminal_bug=verdict.terminal_bug,
            close_code=code,
        )

    async def _await_ack(self, ws: ClientConnection) -> None:
        while True:
            event = protocol.parse_frame(await ws.recv())
            if isinstance(event, protocol.Acked):
                return
            if isinstance(event, protocol.Pinged):
                await ws.send(protocol.pong())
            else:
                self._ignore(event, "before connection_ack")

    def _announce_when_ready(self) -> None:
        """Report UP once no essential subscription still owes its first clean ``next``."""
        if not self._session.ready():
            return
        self._up_since = self._clock()
        if self._down_logged:
            log.warning("%s link up again", self._name)
        self._down_logged = False
        self._bug_logged = None
        self._set(LinkState.UP, "connected")

    async def _receive(self, ws: ClientConnection) -> Ended:
        loop = asyncio.get_running_loop()
        ping_every = self._liveness / 3
        last_news = last_frame = loop.time()
        self._session.start()
        self._announce_when_ready()
        while True:
            now = loop.time()
            if now - last_news >= self._liveness:
                return Ended(f"no news from Blink for {self._liveness:g} s")
            if now - last_frame >= ping_every:
                # Proves the path when nothing else does; the pong itself proves no events flow.
                await ws.send(protocol.ping())
                last_frame = now
                continue
            try:
                wait = min(last_news + self._liveness, last_frame + ping_every) - now
                async with asyncio.timeout(wait):
                    frame = await ws.recv()
            except TimeoutError:
                continue
            last_frame = loop.time()
            event = protocol.parse_frame(frame)
            if isinstance(event, protocol.Pinged):
                await ws.send(protocol.pong())
            elif isinstance(event, protocol.Ponged):
                if not self._session.expects_news(self._subs):  # nothing periodic: the pong must do
                    last_news = last_frame
            elif isinstance(event, protocol.Next | protocol.Errored | protocol.Completed):
                if isinstance(event, protocol.Next):
                    last_news = last_frame
                sub = self._subs.get(event.id)
                if sub is None:
                    log.debug("%s: an update for a closed subscription", self._name)
                    continue
                ended = self._session.frame(sub, event)
                if ended is not None:
                    return ended
                self._announce_when_ready()
            elif isinstance(event, protocol.Ignored):
                self._ignore(event, "")

    def _ignore(self, event: protocol.ServerEvent, when: str) -> None:
        reason = event.reason if isinstance(event, protocol.Ignored) else type(event).__name__
        log.warning("%s: ignored %s from Blink %s", self._name, reason, when)

    async def _send_subscribe(self, ws: ClientConnection, sub: Subscription) -> None:
        # Checked and marked before the await, so a reconnect racing a new subscribe() never
        # sends one id twice (the server would close with 4409).
        if ws is not self._ws or sub.closed or not self._session.mark_sent(sub):
            return
        with contextlib.suppress(ConnectionClosed):
            await ws.send(protocol.subscribe(sub.id, sub.query, sub.variables))

    def _forget(self, sub: Subscription) -> None:
        self._subs.pop(sub.id, None)
        ws = self._ws
        if self._session.forget(sub.id) and ws is not None:
            self._spawn(self._send_complete(ws, sub.id))
        if ws is not None and not self._closing:
            self._announce_when_ready()  # a closed essential subscription owes nothing

    async def _send_complete(self, ws: ClientConnection, sub_id: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(protocol.complete(sub_id))
