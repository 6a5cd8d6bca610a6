"""The power desk: what the battery, the shutdown button and idleness do to the terminal.

* Every reading goes through the pure :mod:`terminal.battery_policy`; the status bar shows the
  level, marked once it is low.
* NORMAL → LOW: a "Battery low" warning over the home screen and one beep (owed until the flow
  is back home if a sale is under way); afterwards the icon alone says it.
* → CRITICAL, or the button held: the :mod:`~terminal.shell.shutdown` sequence. A charger seen
  before the power-off was asked for calls a battery shutdown off.
* Idle: :class:`~terminal.shell.idle.PanelSaver` dims and sleeps the panel.

After the power-off request :class:`PoweredOff` ends the TaskGroup and the process exits
``EXIT_POWERED_OFF``, which the unit's ``RestartPreventExitStatus=`` keeps from a restart.
"""

from __future__ import annotations

import asyncio
import logging

from hardware.power_config import PowerConfig
from terminal.battery_policy import Change, PowerPolicy, PowerState, Thresholds
from terminal.money.journal import Journal
from terminal.money.worker import JournalThread
from terminal.screens.model import Battery, LowBattery, Screen
from terminal.shell.board import LinkBoard
from terminal.shell.idle import HOME_SCREENS, PanelSaver
from terminal.shell.peripherals import Peripherals
from terminal.shell.screen import ScreenKeeper
from terminal.shell.shutdown import Pending, Shutdown

log = logging.getLogger(__name__)

EXIT_POWERED_OFF = 6
# How long the "Battery low" warning covers the home screen (a key or a new screen ends it).
LOW_NOTICE_SECONDS = 10.0


class PoweredOff(Exception):
    """The power-off was requested: every task stops, the process exits EXIT_POWERED_OFF."""


class PowerDesk:
    """Battery policy, low warning, shutdown sequence and idle saver, wired to the shell."""

    def __init__(
        self, config: PowerConfig, hw: Peripherals, screen: ScreenKeeper, board: LinkBoard
    ) -> None:
        self._config = config
        self._hw = hw
        self._screen = screen
        self._board = board
        self.saver = PanelSaver(
            hw.set_panel,
            hw.set_dark,
            dim_after=config.idle_dim_seconds,
            sleep_after=config.idle_sleep_seconds,
        )
        self._policy = PowerPolicy(
            Thresholds(config.low_percent, config.critical_percent, config.hysteresis_percent)
        )
        self._low_warning_owed = False
        self._group: asyncio.TaskGroup | None = None
        self._shutdown: Shutdown | None = None  # made once the journal is open
        self._shutdown_task: asyncio.Task[None] | None = None
        self._by_battery = False

    # --- from the shell ---------------------------------------------------------------------

    def start(self, group: asyncio.TaskGroup, journal: JournalThread) -> None:
        """Start the gauge and idle tasks in ``group``; watch the shutdown button if fitted."""
        self._group = group
        self._shutdown = self._make_shutdown(journal)
        group.create_task(self.poll(), name="power")
        group.create_task(self.saver.run(), name="idle")
        if self._config.shutdown_button is not None:
            self._hw.watch_shutdown_button(
                self._config.shutdown_button, self._config.shutdown_hold_seconds, self.button_held
            )

    def takes_key(self) -> bool:
        """True if a key must not reach the flow: it woke the panel, or a shutdown is on."""
        if self._shutdown_task is not None:
            # The screen is held at "Shutting down": a key would act unseen.
            log.debug("a key during the shutdown is ignored")
            return True
        if self.saver.key():
            log.debug("a key woke the panel; it is not passed on")
            return True
        return False

    def shown(self, screen: Screen) -> None:
        """The flow showed ``screen``: the idle saver learns of it; an owed warning comes now."""
        self.saver.screen(screen)
        if self._low_warning_owed and isinstance(screen, HOME_SCREENS):
            self._warn_low()

    def forward_finished(self) -> None:
        """A forward ended one way or the other: a waiting shutdown looks at the journal."""
        if self._shutdown is not None:
            self._shutdown.nudge()

    def button_held(self) -> None:
        """The shutdown button was held long enough."""
        self._by_battery = False
        self._begin_shutdown("Shutdown button held")

    # --- the battery ------------------------------------------------------------------------

    async def poll(self) -> None:
        """Read the gauge every ``poll_seconds`` and act on what the policy makes of it."""
        while True:
            reading = await self._hw.read_battery()
            change = self._policy.reading(reading)
            low = self._policy.state is not PowerState.NORMAL
            shown = None if reading is None else Battery(reading.percent, reading.charging, low)
            self._screen.battery(shown)
            if change.changed:
                self._changed(change, reading)
            await asyncio.sleep(self._config.poll_seconds)

    def _changed(self, change: Change, reading: Battery | None) -> None:
        percent = "?" if reading is None else f"{reading.percent} %"
        if change.after is PowerState.CRITICAL:
            log.warning("battery nearly empty (%s): shutting down", percent)
            self._by_battery = True
            self._begin_shutdown("Battery nearly empty")
        elif change.before is PowerState.CRITICAL:
            self._call_off(percent)
        elif change.after is PowerState.LOW:
            log.warning("battery low (%s)", percent)
            self._low_warning_owed = True
            if isinstance(self._screen.screen, HOME_SCREENS):
                self._warn_low()
        else:
            log.info("battery charged again (%s)", percent)
            self._low_warning_owed = False

    def _call_off(self, percent: str) -> None:
        shutdown, task = self._shutdown, self._shutdown_task
        if not self._by_battery or task is None or shutdown is None:
            return
        if shutdown.requested:
            log.warning("battery charging (%s), but the power-off is already asked for", percent)
            return
        log.warning("battery charging (%s): shutdown called off, sales start again", percent)
        task.cancel()

    def _warn_low(self) -> None:
        """The one "Battery low" warning and beep; afterwards the icon alone says it."""
        self._low_warning_owed = False
        battery = self._screen.current_status.battery
        warning = LowBattery(battery.percent if battery is not None else 0)
        log.debug("show %r", warning)  # as the flow logs its screens: what the merchant saw
        self._screen.notice(warning)
        self.saver.wake()
        self._hw.signal_error()
        asyncio.get_running_loop().call_later(LOW_NOTICE_SECONDS, self._screen.notice, None)

    # --- the shutdown -----------------------------------------------------------------------

    def _make_shutdown(self, journal: JournalThread) -> Shutdown:
        async def pending() -> Pending:
            return Pending(*await journal.call(Journal.pending_forwards))

        def hold(screen: Screen) -> None:
            log.debug("show %r", screen)
            self.saver.wake()
            self._screen.hold(screen)

        def stop_sales(why: str | None) -> None:
            self._board.sales_stopped(why)
            if why is None:  # called off
                self._screen.hold(None)
                self._shutdown_task = None

        return Shutdown(
            stop_sales=stop_sales,
            pending=pending,
            show=hold,
            power_off=self._hw.power_off,
            grace_seconds=self._config.shutdown_grace_seconds,
        )

    def _begin_shutdown(self, reason: str) -> None:
        """Start the sequence (once: a second ask while it runs changes nothing)."""
        if self._shutdown_task is not None or self._group is None:
            return
        self._shutdown_task = self._group.create_task(self.shut_down(reason), name="shutdown")

    async def shut_down(self, reason: str) -> None:
        """The shutdown sequence; raises PoweredOff once the power-off was accepted."""
        assert self._shutdown is not None  # made in start()
        if await self._shutdown.run(reason):
            raise PoweredOff(reason)
