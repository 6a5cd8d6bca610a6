"""The display task: the current screen plus the status bar and clock, drawn only when changed."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Callable

from terminal.screens.model import Battery, Screen, ShowInvoice, Status, Success, View
from terminal.screens.render import SUCCESS_FRAMES

# The success animation's pace.
SUCCESS_FRAME_SECONDS = 0.15


class ScreenKeeper:
    """Holds what the merchant should see and hands a :class:`View` to the display when it changes.

    ``show_view`` is the display worker's non-blocking ``show``; it drops views equal to the last
    one, so ticking the clock once a second costs nothing on screens without a countdown.
    """

    def __init__(
        self, show_view: Callable[[View], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._show_view = show_view
        self._clock = clock
        self._screen: Screen | None = None
        self._held: Screen | None = None  # shown whatever the flow shows (the shutdown)
        self._notice: Screen | None = None  # shown until the flow shows something new
        self._status = Status()
        self._frame = 0
        self._changed = asyncio.Event()
        self.last_view: View | None = None

    @property
    def screen(self) -> Screen | None:
        """The flow's screen (a held screen or a notice may cover it)."""
        return self._screen

    def show(self, screen: Screen) -> None:
        """Show ``screen`` (from a ``Show`` effect); it ends a notice."""
        self._screen = screen
        self._notice = None
        self._frame = 0
        self._push()

    def hold(self, screen: Screen | None) -> None:
        """Show ``screen`` over whatever the flow shows, until ``hold(None)``."""
        self._held = screen
        self._push()

    def notice(self, screen: Screen | None) -> None:
        """Show ``screen`` over the flow's until it shows a new one (or ``notice(None)``)."""
        self._notice = screen
        self._push()

    def status(self, status: Status) -> None:
        """Update the status bar (links, battery)."""
        self._status = status
        self._push()

    def battery(self, battery: Battery | None) -> None:
        """Update the battery slot."""
        self.status(dataclasses.replace(self._status, battery=battery))

    def in_flight(self, sats: int) -> None:
        """Update the sats paid but not yet forwarded."""
        if sats != self._status.in_flight_sats:
            self.status(dataclasses.replace(self._status, in_flight_sats=sats))

    @property
    def current_status(self) -> Status:
        """The status bar as shown."""
        return self._status

    def _push(self) -> None:
        shown = self._held or self._notice or self._screen
        if shown is None:
            return
        now = self._clock()
        # Whole seconds: the countdown only changes once a second, so equal views stay equal.
        view = View(shown, self._status, float(math.floor(now)), self._frame)
        self.last_view = view
        self._show_view(view)
        self._changed.set()

    async def run(self) -> None:
        """Tick the clock and the success animation."""
        while True:
            # Frames 0..SUCCESS_FRAMES-1 play once; the last one (the tick) then stays.
            if isinstance(self._screen, Success) and self._frame < SUCCESS_FRAMES - 1:
                await asyncio.sleep(SUCCESS_FRAME_SECONDS)
                if isinstance(self._screen, Success):
                    self._frame += 1
                    self._push()
            elif isinstance(self._screen, ShowInvoice):
                now = self._clock()
                await asyncio.sleep(1.0 - (now % 1.0))
                self._push()
            else:
                self._changed.clear()
                await self._changed.wait()
