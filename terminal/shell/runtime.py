"""``blink-terminal run``: one asyncio process, its long-lived tasks in one TaskGroup.

    pos link       BlinkSocket.run            myUpdates + the shown invoice's status, one socket
    detection      Detection.run              push, catch-up after reconnects, degraded polling
    merchant link  MerchantLink.run           optional: arrivals and balance
    keypad         Peripherals.keys           key presses into the event queue
    flow           Terminal._flow             one event at a time through the pure core
    forwarder      Forwarder.run              paid sales to the merchant, exactly once
    display        ScreenKeeper.run           countdown and animation ticks; frames on one thread
    power          Terminal._battery          battery gauge into the status bar
    watchdog       systemd.watchdog           WATCHDOG=1 only while the loop turns
    readiness      Terminal._readiness        READY=1 once detection is live (or a deadline)

A task that dies takes the process down; systemd restarts it; the journal makes that safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable

from terminal import systemd
from terminal.blink.http import BlinkHttp
from terminal.blink.reconnect import ConnectionBudget
from terminal.blink.socket import BlinkSocket
from terminal.config import Config
from terminal.errors import (
    IllegalTransition,
    TerminalError,
)
from terminal.flow import (
    CancelSale,
    CancelTimer,
    Celebrate,
    CreateInvoices,
    Effect,
    Event,
    Forward,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    KeyPressed,
    Link,
    LinkChanged,
    Machine,
    Reconnect,
    Show,
    ShowLinks,
    SignalError,
    StartTimer,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.state import FlowConfig
from terminal.keys import Key
from terminal.links import LinkState
from terminal.money.detection import Detection
from terminal.money.forwarder import Forwarder, ForwardOutcome, ForwardResult
from terminal.money.journal import Journal
from terminal.money.opening import SaleMaker
from terminal.money.settling import Settler
from terminal.money.wallets import resolve_wallets
from terminal.screens.model import Closed, Status
from terminal.shell.merchant import MerchantLink
from terminal.shell.peripherals import Peripherals
from terminal.shell.poslink import PosLink
from terminal.shell.screen import ScreenKeeper
from terminal.shell.timers import Timers

log = logging.getLogger(__name__)

# systemd gets READY=1 at the latest this long after start, with a STATUS saying why detection
# is not live: a terminal stuck "activating" would be restarted in a loop, which helps nobody.
READY_DEADLINE_SECONDS = 60.0


class Terminal:
    """The whole terminal, built from a validated :class:`Config` and its peripherals."""

    def __init__(
        self,
        config: Config,
        peripherals: Peripherals,
        *,
        clock: Callable[[], float] = time.time,
        ready_deadline: float = READY_DEADLINE_SECONDS,
        liveness_timeout: float = 75.0,
    ) -> None:
        self._config = config
        self._hw = peripherals
        self._clock = clock
        self._ready_deadline = ready_deadline
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._machine = Machine(
            FlowConfig(
                merchant_name=config.terminal.name,
                max_amount_sats=config.terminal.max_amount_sats,
                invoice_expiry_seconds=config.terminal.invoice_expiry_minutes * 60.0,
            )
        )
        self._journal = Journal.open(config.terminal.state_dir)
        # A sale still 'new' crashed before its QR was shown: nobody can have paid it.
        for sale_id in self._journal.fail_unfinished(clock()):
            log.info("sale %s never reached the screen before a restart; closed", sale_id)
        self._screen = ScreenKeeper(peripherals.show_view, clock)
        self._timers = Timers(self.emit)
        self._wake_forwarder = asyncio.Event()
        self._ready = asyncio.Event()
        self._wallets_known = False
        self._pos_link = PosLink(self._pos_link_changed)
        self._merchant_state = LinkState.OFF
        blink = config.blink
        self._pos_http = BlinkHttp(
            blink.api_url, config.blinkpos.key, key_name="BlinkPOS", timeout=blink.timeout_seconds
        )
        self._settler = Settler(self._journal, self.emit, self._wake_forwarder.set, clock)
        # Blink allows 10 new WebSocket connections a minute per IP, not per socket: both
        # accounts' sockets draw on one budget.
        budget = ConnectionBudget()
        self._pos_socket = BlinkSocket(
            blink.ws_url,
            config.blinkpos.key,
            name="BlinkPOS",
            on_link=self._pos_socket_changed,
            liveness_timeout=liveness_timeout,
            open_timeout=blink.timeout_seconds,
            budget=budget,
        )
        self._detection = Detection(
            self._journal, self._pos_http, self._pos_socket, self._settler, self._pos_link, clock
        )
        self._merchant: MerchantLink | None = None
        self._merchant_http: BlinkHttp | None = None
        if config.merchant.key is not None:
            self._merchant_http = BlinkHttp(
                blink.api_url,
                config.merchant.key,
                key_name="merchant",
                timeout=blink.timeout_seconds,
            )
            merchant_socket = BlinkSocket(
                blink.ws_url,
                config.merchant.key,
                name="merchant",
                on_link=self._merchant_changed,
                liveness_timeout=liveness_timeout,
                open_timeout=blink.timeout_seconds,
                budget=budget,
            )
            self._merchant = MerchantLink(self._journal, self._merchant_http, merchant_socket)
            self._merchant_socket: BlinkSocket | None = merchant_socket
        else:
            self._merchant_socket = None
        self._sales: SaleMaker | None = None
        self._forwarder: Forwarder | None = None

    # --- the outside world into events ----------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue ``event`` for the flow (call on the loop thread only)."""
        self._queue.put_nowait(event)

    def press(self, key: Key) -> None:
        """A key was pressed."""
        self.emit(KeyPressed(key))

    def _pos_socket_changed(self, state: LinkState, reason: str) -> None:
        self._detection.socket_changed(state, reason)

    def _pos_link_changed(self, state: LinkState, reason: str) -> None:
        if not self._wallets_known and state.detects_payments:
            # Detection works, but sales cannot start before the wallets are known.
            return
        self._announce_pos(state, reason)

    def _announce_pos(self, state: LinkState, reason: str) -> None:
        if state is LinkState.REJECTED:
            # Whichever path noticed it, the merchant must read *which* key to replace: the
            # flow's own text for a rejected link names the BlinkPOS key and the fix.
            reason = ""
        self.emit(LinkChanged(Link.POS, state, reason))
        self._status_line()
        if state.detects_payments:
            self._ready.set()

    def _merchant_changed(self, state: LinkState, reason: str) -> None:
        self._merchant_state = state
        self.emit(LinkChanged(Link.MERCHANT, state, reason))
        self._status_line()

    def _status_line(self) -> None:
        pos = self._pos_link.state
        words = {
            LinkState.UP: "ready",
            LinkState.DEGRADED: "degraded: BlinkPOS socket down, polling",
            LinkState.DOWN: "BlinkPOS down",
            LinkState.REJECTED: "BlinkPOS key rejected",
            LinkState.CONNECTING: "connecting to BlinkPOS",
            LinkState.OFF: "BlinkPOS off",
        }
        text = words[pos]
        if self._merchant_state in (LinkState.DOWN, LinkState.REJECTED):
            text += f"; merchant {self._merchant_state.value}"
        systemd.notify(f"STATUS={text}")
        self._screen.status(Status(pos, self._merchant_state, self._screen.current_status.battery))
        self._hw.show_links(pos, self._merchant_state)

    def _forward_result(self, result: ForwardResult) -> None:
        # The forwarder has logged what happened; here the merchant's screen learns of it.
        if result.outcome is ForwardOutcome.FORWARDED:
            self.emit(ForwardSucceeded(result.sale_id))
        elif result.outcome is ForwardOutcome.DELAYED:
            self.emit(ForwardDelayed(result.sale_id, result.detail))
        elif result.outcome is ForwardOutcome.FAILING:
            # The merchant needs to know the money is safe.
            self.emit(
                ForwardFailedHard(
                    result.sale_id,
                    "Forward failing",
                    "Money is safe on BlinkPOS: call the operator",
                )
            )
        elif result.outcome is ForwardOutcome.REFUSED:
            self.emit(ForwardFailedHard(result.sale_id, "Forward refused", "Call the operator"))
        else:  # NOT_PAID: nothing was owed, nothing to show
            log.debug("sale %s: nothing to forward (%s)", result.sale_id, result.detail)

    # --- effects into the world -----------------------------------------------------------

    # One case per effect kind: splitting the match would only hide the dispatch.
    def _carry_out(self, effect: Effect, group: asyncio.TaskGroup) -> None:  # noqa: PLR0912
        match effect:
            case Show(screen):
                # At debug level every screen is in the log: what the merchant saw, when.
                log.debug("show %r", screen)
                self._screen.show(screen)
            case CreateInvoices(amount, request):
                assert self._sales is not None  # the flow only asks once the link is announced
                group.create_task(self._sales.create(amount, request))
            case WatchInvoice(sale_id, payment_hash):
                self._detection.watch(sale_id, payment_hash)
            case UnwatchInvoice(sale_id):
                self._detection.unwatch(sale_id)
            case CancelSale(sale_id):
                if self._journal.mark_cancelled(sale_id, self._clock()):
                    log.info(
                        "sale %s cancelled by the merchant (a late payment is still forwarded)",
                        sale_id,
                    )
            case Forward():
                self._wake_forwarder.set()
            case Celebrate():
                self._hw.signal_success()
            case SignalError():
                self._hw.signal_error()
            case StartTimer(name, seconds):
                self._timers.start(name, seconds)
            case CancelTimer(name):
                self._timers.cancel(name)
            case Reconnect(link):
                log.info("reconnect of the %s link asked from the keypad", link.value)
                socket = self._pos_socket if link is Link.POS else self._merchant_socket
                if socket is not None:
                    socket.reconnect_now()
            case ShowLinks(pos, merchant):
                self._hw.show_links(pos, merchant)

    # --- tasks ----------------------------------------------------------------------------

    async def _flow(self, group: asyncio.TaskGroup) -> None:
        while True:
            event = await self._queue.get()
            try:
                effects = self._machine.handle(event)
            except IllegalTransition as exc:
                # The core refused and kept its state; a stray event is not worth dying for.
                log.debug("flow ignored %s: %s", type(event).__name__, exc)
                continue
            for effect in effects:
                self._carry_out(effect, group)

    async def _money(self, group: asyncio.TaskGroup) -> None:
        """Once the wallets are known: accept sales and forward, starting with what is owed."""
        wallets = await resolve_wallets(self._config, self._pos_http, self._pos_link)
        log.info("BlinkPOS wallet and merchant wallet found")
        self._sales = SaleMaker(
            self._journal,
            self._pos_http,
            wallets,
            self.emit,
            self._clock,
            memo=self._config.terminal.name,
            expiry_minutes=self._config.terminal.invoice_expiry_minutes,
        )
        self._forwarder = Forwarder(
            self._journal,
            self._pos_http,
            wallets.merchant,
            pos_wallet_id=wallets.pos,
            clock=self._clock,
            on_result=self._forward_result,
        )
        self._wallets_known = True
        self._announce_pos(self._pos_link.state, "wallets found")
        group.create_task(self._forwarder.run(self._wake_forwarder))

    async def _readiness(self) -> None:
        try:
            async with asyncio.timeout(self._ready_deadline):
                await self._ready.wait()
            systemd.notify("READY=1", "STATUS=ready: payment detection is live")
            log.info("ready: payment detection is live")
        except TimeoutError:
            state = self._pos_link.state.value
            why = f"payment detection not live after {self._ready_deadline:.0f} s ({state})"
            systemd.notify("READY=1", f"STATUS={why}")
            log.warning("%s", why)

    async def _battery(self) -> None:
        while True:
            self._screen.battery(await self._hw.read_battery())
            await asyncio.sleep(self._config.power.poll_seconds)

    async def _keypad(self) -> None:
        async for key in self._hw.keys():
            self.press(key)

    def _healthy(self) -> bool:
        # The ping itself runs on the loop, so it already proves the loop turns; a task that
        # died has taken the process down before this could lie.
        return True

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (exit 0) or until a task dies (exit 1)."""
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        assert main is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, main.cancel)
        for effect in self._machine.start():
            if isinstance(effect, Show):
                self._screen.show(effect.screen)
        self._status_line()
        code = 0
        try:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._pos_socket.run(), name="pos link")
                    group.create_task(self._detection.run(), name="detection")
                    group.create_task(self._flow(group), name="flow")
                    group.create_task(self._money(group), name="money")
                    group.create_task(self._keypad(), name="keypad")
                    group.create_task(self._screen.run(), name="display")
                    group.create_task(self._battery(), name="power")
                    group.create_task(systemd.watchdog(self._healthy), name="watchdog")
                    group.create_task(self._readiness(), name="readiness")
                    if self._merchant is not None and self._merchant_socket is not None:
                        group.create_task(self._merchant_socket.run(), name="merchant link")
                        group.create_task(self._merchant.run(), name="merchant")
            except* TerminalError as group_error:
                for exc in group_error.exceptions:
                    log.error("stopping: %s", exc)
                code = 1
        except asyncio.CancelledError:
            log.info("shutting down")
        finally:
            systemd.notify("STOPPING=1")
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self._close()
        return code

    async def _close(self) -> None:
        self._timers.cancel_all()
        with contextlib.suppress(Exception):
            await self._pos_socket.close()
        if self._merchant_socket is not None:
            with contextlib.suppress(Exception):
                await self._merchant_socket.close()
        await self._pos_http.aclose()
        if self._merchant_http is not None:
            await self._merchant_http.aclose()
        self._screen.show(Closed())
        self._hw.close()
        self._journal.close()
