"""``blink-terminal run``: the composition root. One asyncio process, its tasks in one TaskGroup.

Start-up is explicit: the constructor only records what it was given; :meth:`Terminal.run`
opens the journal (on its worker thread), closes sales that never reached the screen, builds the
money path, and only then starts the tasks:

    money          MoneyPath.run              detection (the BlinkPOS socket), wallets, forwarder
    merchant       MerchantLink.run           optional: the merchant socket, arrivals, balance
    flow           Terminal._flow             one event at a time through the screen's flow
    keypad         Peripherals.keys           key presses into the event queue
    receipts       ReceiptDesk.run            optional: a receipt per forwarded sale
    display        ScreenKeeper.run           countdown and animation ticks; frames on one thread
    power          PowerDesk.poll             battery gauge → status bar, low warning, shutdown
    idle           PanelSaver.run             the panel dims, then sleeps, on a quiet home screen
    in flight      InFlight.run               sats paid, not yet forwarded, into the status bar
    shutdown       PowerDesk.shut_down        only once asked: battery empty or the button held
    watchdog       systemd.watchdog           WATCHDOG=1 only while the loop turns
    readiness      Terminal._readiness        READY=1 once detection is live (or a deadline)

Signals flow one way: Blink → the money path and links → the link board and the event queue →
the flow → effects. A task that dies takes the process down (exit 1); systemd restarts it; the
journal makes that safe. After a power-off request the process exits 6, which the unit's
``RestartPreventExitStatus=`` keeps systemd from restarting.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from terminal import systemd
from terminal.blink.http import BlinkHttp
from terminal.blink.reconnect import ConnectionBudget
from terminal.blink.socket import BlinkSocket
from terminal.config import Config
from terminal.errors import BlinkError, IllegalTransition, JournalError, TerminalError
from terminal.flow import (
    CancelSale,
    CancelTimer,
    Celebrate,
    ConfirmPaid,
    CreateInvoices,
    Effect,
    Event,
    KeyPressed,
    Link,
    LinkChanged,
    Machine,
    PaymentReceived,
    Reconnect,
    Show,
    SignalError,
    StartTimer,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.menu_data import (
    BalanceRead,
    CheckPin,
    LoadTill,
    RefreshBalance,
    ReprintReceipt,
    RetryForwards,
)
from terminal.flow.state import FlowConfig
from terminal.keys import Key
from terminal.links import LinkState
from terminal.money import binding
from terminal.money.detection import OnLink
from terminal.money.journal import Journal
from terminal.money.lock import StateLock
from terminal.money.path import MoneyPath
from terminal.money.policy import ForwardOutcome, ForwardResult
from terminal.money.texts import forward_event
from terminal.money.worker import JournalThread
from terminal.receipts.desk import ReceiptDesk
from terminal.screens.model import Closed, Screen
from terminal.shell.board import LinkBoard, Links
from terminal.shell.clockwatch import kernel_says_synchronised, watch_clock
from terminal.shell.inflight import InFlight
from terminal.shell.menu import MenuDesk, build_till
from terminal.shell.merchant import MerchantLink
from terminal.shell.peripherals import Peripherals
from terminal.shell.power import EXIT_POWERED_OFF, PowerDesk, PoweredOff
from terminal.shell.screen import ScreenKeeper
from terminal.shell.timers import Timers

log = logging.getLogger(__name__)

E = TypeVar("E", bound=BaseException)

# systemd gets READY=1 at the latest this long after start, with a STATUS saying why detection
# is not live: a terminal stuck "activating" would be restarted in a loop, which helps nobody.
READY_DEADLINE_SECONDS = 60.0
# While Blink's HTTP side fails and sales wait to be forwarded, it is asked something cheap this
# often, so the first answer forwards them at once instead of after a backoff of minutes.
PROBE_SECONDS = 5.0
EXIT_FAILED = 1


_STATUS_WORDS = {
    LinkState.UP: "ready",
    LinkState.DEGRADED: "degraded: BlinkPOS socket down, polling",
    LinkState.DOWN: "BlinkPOS down",
    LinkState.REJECTED: "BlinkPOS key rejected",
    LinkState.FAULT: "BlinkPOS payment detection refused by Blink",
    LinkState.CONNECTING: "connecting to BlinkPOS",
    LinkState.OFF: "BlinkPOS off",
}


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
        open_journal: Callable[[Path], JournalThread] = JournalThread.start,
        clock_synchronised: Callable[[], bool] = kernel_says_synchronised,
    ) -> None:
        self._config = config
        self._clock_synchronised = clock_synchronised
        self._hw = peripherals
        self._clock = clock
        self._ready_deadline = ready_deadline
        self._liveness_timeout = liveness_timeout
        self._open_journal = open_journal
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._machine = Machine(
            FlowConfig(
                merchant_name=config.terminal.name,
                max_amount_sats=config.terminal.max_amount_sats,
                invoice_expiry_seconds=config.terminal.invoice_expiry_minutes * 60.0,
                currency=config.terminal.currency,
                fraction_digits=config.terminal.fraction_digits,
                tips_offered=config.tips.enabled,
                tip_percents=config.tips.presets,
                tip_custom=config.tips.custom,
                menu_seconds=config.admin.menu_timeout_seconds,
                has_pin=config.admin.pin is not None,
                has_printer=config.receipts.enabled,
            )
        )
        self._in_flight: InFlight | None = None  # made once the journal is open
        # What to do once Blink is reachable again; set once the money path is built.
        self._on_reachable: tuple[Callable[[], None], ...] = ()
        self._http_failing = False  # the last BlinkPOS HTTP call got no answer
        self._menu: MenuDesk | None = None  # made once the money path exists
        self._receipts: ReceiptDesk | None = None
        # The view's clock is monotonic: countdowns never follow a wall-clock jump.
        self._screen = ScreenKeeper(peripherals.show_view)
        self._timers = Timers(self.emit)
        self._ready = asyncio.Event()
        has_merchant = config.merchant.key is not None
        self._board = LinkBoard(self._links_changed, merchant=has_merchant)
        self._power = PowerDesk(config.power, peripherals, self._screen, self._board)
        self._links = self._board.links  # as last told to the flow
        # Blink allows 10 new WebSocket connections a minute per IP, not per socket: both
        # accounts' sockets draw on one budget.
        self._budget = ConnectionBudget()

    # --- the outside world into events ----------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue ``event`` for the flow (call on the loop thread only)."""
        if isinstance(event, PaymentReceived) and self._in_flight is not None:
            self._in_flight.nudge()  # a customer's sats are now owed to the merchant
        self._queue.put_nowait(event)

    def press(self, key: Key) -> None:
        """A key was pressed (one that wakes a sleeping panel does nothing else)."""
        if self._power.takes_key():
            return
        self.emit(KeyPressed(key))

    def _links_changed(self, links: Links) -> None:
        """The link board's one listener: the flow, the status bar, the LEDs and systemd."""
        before, self._links = self._links, links
        if (links.pos, links.pos_reason) != (before.pos, before.pos_reason) or before is links:
            # A rejected key: the flow's own text names the BlinkPOS key and the fix.
            reason = "" if links.pos is LinkState.REJECTED else links.pos_reason
            self.emit(LinkChanged(Link.POS, links.pos, reason))
        if links.merchant is not before.merchant:
            self.emit(LinkChanged(Link.MERCHANT, links.merchant, links.merchant_reason))
        text = _STATUS_WORDS[links.pos]
        if links.merchant in (LinkState.DOWN, LinkState.REJECTED, LinkState.FAULT):
            text += f"; merchant {links.merchant.value}"
        systemd.notify(f"STATUS={text}")
        shown = self._screen.current_status
        self._screen.status(dataclasses.replace(shown, pos=links.pos, merchant=links.merchant))
        self._hw.show_links(links.pos, links.merchant)
        if links.pos.detects_payments:
            self._ready.set()
        if before.pos is LinkState.DOWN and links.pos is not LinkState.DOWN:
            self._reachable_again()

    def _http_reached(self, answered: bool) -> None:
        """Any BlinkPOS HTTP call's fate: the first answer after failures means Blink is back."""
        if answered and self._http_failing:
            self._reachable_again()
        self._http_failing = not answered

    def _reachable_again(self) -> None:
        # Blink is reachable again (the hotspot is back, or the HTTP path): payments made
        # meanwhile are looked for now, and every paid sale waiting out a backoff (which grows
        # to minutes over a long gap) is forwarded now. Safe: a forward woken early asks Blink
        # for the merchant invoice's status before it pays again.
        for action in self._on_reachable:
            action()

    def _forward_result(self, result: ForwardResult) -> None:
        # The forwarder has logged what happened; here the merchant's screen learns of it.
        if self._in_flight is not None:
            self._in_flight.nudge()
        self._power.forward_finished()  # a shutdown waiting on the forwards looks again now
        event = forward_event(result)
        if result.outcome is ForwardOutcome.FORWARDED and self._receipts is not None:
            self._receipts.forwarded(result.sale_id)  # the journal says forwarded by now
        if event is not None:
            self.emit(event)
        elif result.outcome is ForwardOutcome.NOT_RECEIVED:
            log.debug("sale %s: nothing to forward (%s)", result.sale_id, result.detail)

    # --- start-up and shutdown --------------------------------------------------------------

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (exit 0) or until a task dies (exit 1)."""
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        assert main is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, main.cancel)
        for effect in self._machine.start():
            if isinstance(effect, Show):
                self._show(effect.screen)
        self._links_changed(self._board.links)
        state_dir = Path(self._config.terminal.state_dir)
        try:
            # One terminal per journal: a second process on this state directory stops here.
            lock = await asyncio.to_thread(StateLock.acquire, state_dir)
        except JournalError as exc:
            log.error("stopping: %s", exc)
            self._remove_signal_handlers(loop)
            self._hw.close()
            return EXIT_FAILED
        try:
            journal = await asyncio.to_thread(self._open_journal, state_dir)
        except JournalError as exc:
            log.error("stopping: %s", exc)
            self._remove_signal_handlers(loop)
            self._hw.close()
            lock.release()
            return EXIT_FAILED
        try:
            return await self._run_with(journal)
        finally:
            self._remove_signal_handlers(loop)
            await asyncio.to_thread(journal.close)
            lock.release()

    async def _run_with(self, journal: JournalThread) -> int:
        # A sale still 'new' crashed before its QR was shown: nobody can have paid it.
        for sale_id in await journal.call(Journal.fail_unfinished, self._clock()):
            log.info("sale %s never reached the screen before a restart; closed", sale_id)
        ours = await self._journal_is_ours(journal)
        blink = self._config.blink
        pos_http = BlinkHttp(
            blink.api_url,
            self._config.blinkpos.key,
            key_name="BlinkPOS",
            timeout=blink.timeout_seconds,
            on_reach=self._http_reached,
        )
        merchant_http = self._merchant_http()
        money = MoneyPath.build(
            self._config,
            journal,
            pos_http,
            self._pos_socket,
            self._board,
            self.emit,
            self._forward_result,
            self._clock,
            merchant_http=merchant_http,
        )
        merchant = None if merchant_http is None else self._merchant_link(journal, merchant_http)
        self._in_flight = InFlight(journal, self._screen.in_flight)
        self._on_reachable = (money.detection.catch_up, money.forwarder.retry_now)
        self._menu, self._receipts = build_till(
            self._config, journal, money.forwarder, self.emit, merchant, self._clock
        )
        code = 0
        try:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(
                        money.run(self._config, pos_http, self._board, forward=ours), name="money"
                    )
                    if self._config.terminal.clock == "ntp":
                        group.create_task(
                            watch_clock(self._board.clock, synchronised=self._clock_synchronised),
                            name="clock",
                        )
                    group.create_task(self._flow(group, money, merchant), name="flow")
                    group.create_task(self._keypad(), name="keypad")
                    group.create_task(self._screen.run(), name="display")
                    self._power.start(group, journal)
                    group.create_task(self._in_flight.run(), name="in flight")
                    group.create_task(self._probe_while_owed(pos_http), name="probe")
                    group.create_task(systemd.watchdog(self._healthy), name="watchdog")
                    group.create_task(self._readiness(), name="readiness")
                    if merchant is not None:
                        group.create_task(merchant.run(), name="merchant")
                    if self._receipts is not None:
                        group.create_task(self._receipts.run(), name="receipts")
            except* PoweredOff:
                code = EXIT_POWERED_OFF
            except* TerminalError as group_error:
                # Tasks nest their own groups: name each failure itself, never "a TaskGroup".
                for exc in _leaves(group_error):
                    log.error("stopping: %s", exc)
                code = EXIT_FAILED
            except* Exception as bugs:
                # A bug: its traceback belongs in the journal, with a line saying so first.
                for bug in _leaves(bugs):
                    log.error("stopping on a bug in the terminal: %r", bug, exc_info=bug)
                code = EXIT_FAILED
        except asyncio.CancelledError:
            log.info("shutting down")
        finally:
            systemd.notify("STOPPING=1")
            await self._close(money, pos_http, merchant, powered_off=code == EXIT_POWERED_OFF)
        return code

    async def _journal_is_ours(self, journal: JournalThread) -> bool:
        """Bind a new journal to this device; refuse one found on another (a cloned SD card)."""
        device = binding.this_device(self._config.terminal.machine_id_file)
        recorded = await journal.call(Journal.meta, binding.DEVICE_KEY)
        if recorded is None:
            await journal.call(Journal.set_meta, binding.DEVICE_KEY, device)
            return True
        problem = binding.foreign_device(recorded, device)
        if problem is None:
            return True
        log.error("%s", problem)
        self._board.journal_refused(problem)
        return False

    def _pos_socket(self, on_link: OnLink) -> BlinkSocket:
        blink = self._config.blink
        return BlinkSocket(
            blink.ws_url,
            self._config.blinkpos.key,
            name="BlinkPOS",
            on_link=on_link,
            liveness_timeout=self._liveness_timeout,
            open_timeout=blink.timeout_seconds,
            budget=self._budget,
        )

    def _merchant_http(self) -> BlinkHttp | None:
        key = self._config.merchant.key
        if key is None:
            return None
        blink = self._config.blink
        return BlinkHttp(blink.api_url, key, key_name="merchant", timeout=blink.timeout_seconds)

    def _merchant_link(self, journal: JournalThread, http: BlinkHttp) -> MerchantLink:
        key = self._config.merchant.key
        assert key is not None  # only called with the merchant's client
        blink = self._config.blink
        socket = BlinkSocket(
            blink.ws_url,
            key,
            name="merchant",
            on_link=self._board.merchant_socket,
            liveness_timeout=self._liveness_timeout,
            open_timeout=blink.timeout_seconds,
            budget=self._budget,
        )
        return MerchantLink(
            journal, http, socket, on_balance=lambda sats: self.emit(BalanceRead(sats))
        )

    @staticmethod
    def _remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    async def _close(
        self,
        money: MoneyPath,
        pos_http: BlinkHttp,
        merchant: MerchantLink | None,
        *,
        powered_off: bool = False,
    ) -> None:
        self._timers.cancel_all()
        with contextlib.suppress(Exception):
            await money.detection.socket.close()
        if merchant is not None:
            with contextlib.suppress(Exception):
                await merchant.close()
        await pos_http.aclose()
        if not powered_off:  # halting: "Shutting down" stays up to the end
            self._screen.hold(None)
            self._screen.show(Closed())
        self._hw.close()

    # --- effects into the world -----------------------------------------------------------

    # One case per effect kind: splitting the match would only hide the dispatch.
    def _carry_out(  # noqa: PLR0912
        self,
        effect: Effect,
        group: asyncio.TaskGroup,
        money: MoneyPath,
        merchant: MerchantLink | None,
    ) -> None:
        match effect:
            case Show(screen):
                # At debug level every screen is in the log: what the merchant saw, when.
                log.debug("show %r", screen)
                self._show(screen)
            case CreateInvoices(amount, request, tip):
                group.create_task(money.opener.create(amount, request, tip))
            case WatchInvoice(sale_id, payment_hash):
                money.detection.watch(sale_id, payment_hash)
            case UnwatchInvoice(sale_id):
                money.detection.unwatch(sale_id)
            case ConfirmPaid(_, payment_hash):
                money.detection.confirm(payment_hash)
            case CancelSale(sale_id):
                group.create_task(self._cancel(money.journal, sale_id))
            case Celebrate():
                self._hw.signal_success()
            case SignalError():
                self._hw.signal_error()
            case StartTimer(name, seconds):
                self._timers.start(name, seconds)
            case CancelTimer(name):
                self._timers.cancel(name)
            case CheckPin() | LoadTill() | RefreshBalance() | RetryForwards() | ReprintReceipt():
                assert self._menu is not None  # made before the flow task starts
                self._menu.carry_out(effect, group)
            case Reconnect(link):
                log.info("reconnect of the %s link asked from the keypad", link.value)
                if link is Link.POS:
                    money.detection.socket.reconnect_now()
                elif merchant is not None:
                    merchant.reconnect_now()

    async def _cancel(self, journal: JournalThread, sale_id: str) -> None:
        if await journal.call(Journal.mark_cancelled, sale_id, self._clock()):
            log.info(
                "sale %s cancelled by the merchant (a late payment is still forwarded)", sale_id
            )

    # --- tasks ----------------------------------------------------------------------------

    async def _flow(
        self, group: asyncio.TaskGroup, money: MoneyPath, merchant: MerchantLink | None
    ) -> None:
        while True:
            event = await self._queue.get()
            try:
                effects = self._machine.handle(event)
            except IllegalTransition as exc:
                # The core refused and kept its state; a stray event is not worth dying for.
                log.debug("flow ignored %s: %s", type(event).__name__, exc)
                continue
            for effect in effects:
                self._carry_out(effect, group, money, merchant)

    async def _readiness(self) -> None:
        try:
            async with asyncio.timeout(self._ready_deadline):
                await self._ready.wait()
            systemd.notify("READY=1", "STATUS=ready: payment detection is live")
            log.info("ready: payment detection is live")
        except TimeoutError:
            state = self._board.links.pos.value
            why = f"payment detection not live after {self._ready_deadline:.0f} s ({state})"
            systemd.notify("READY=1", f"STATUS={why}")
            log.warning("%s", why)

    async def _probe_while_owed(self, http: BlinkHttp) -> None:
        """Ask Blink the price every few seconds while its HTTP fails and sats are in flight."""
        while True:
            await asyncio.sleep(PROBE_SECONDS)
            if self._http_failing and self._screen.current_status.in_flight_sats > 0:
                # The answer matters only to _http_reached; a failure is already known.
                with contextlib.suppress(BlinkError):
                    await http.realtime_price()

    def _show(self, screen: Screen) -> None:
        """A screen from the flow: to the display, and to the power desk (idle, warnings)."""
        self._screen.show(screen)
        self._power.shown(screen)

    async def _keypad(self) -> None:
        async for key in self._hw.keys():
            self.press(key)

    def _healthy(self) -> bool:
        # The ping itself runs on the loop, so it already proves the loop turns; a task that
        # died has taken the process down before this could lie.
        return True


def _leaves(group: BaseExceptionGroup[E]) -> list[E]:
    """The exceptions themselves, out of however many nested groups hold them."""
    found: list[E] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found += _leaves(exc)
        else:
            found.append(exc)
    return found
