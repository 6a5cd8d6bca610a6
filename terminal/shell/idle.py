"""Saving power while the stall is quiet: the panel dims, then sleeps, and the link LEDs go out.

Only a home screen (Idle, NotReady) ever dims: a sale, a message or the till menu keeps the panel
lit. Anything new from the flow wakes it (a late payment's notice, a link that went down), and
so does a key. The choice for keys: a key that wakes a *sleeping* (dark) panel is swallowed, so
a merchant pressing a key to see the screen does not start typing an amount they cannot see; a
key on a *dimmed* panel, which can still be read, both brightens it and does its job.

Nothing ticks while idle: one timer waits for the next step (dim, then sleep) and no timer at
all runs once the panel sleeps; the next key or screen starts the count again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hardware.display_worker import PanelMode
from terminal.screens.model import Idle, NotReady, Screen

log = logging.getLogger(__name__)

HOME_SCREENS = (Idle, NotReady)


class PanelSaver:
    """Steps the panel ON → DIM → OFF after ``dim_after`` and ``sleep_after`` idle seconds.

    Either time may be 0 (never). ``set_panel`` reaches the display thread; ``set_dark`` the LEDs.
    """

    def __init__(
        self,
        set_panel: Callable[[PanelMode], None],
        set_dark: Callable[[bool], None],
        *,
        dim_after: float,
        sleep_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._set_panel = set_panel
        self._set_dark = set_dark
        self._dim_after = dim_after
        self._sleep_after = sleep_after
        self._clock = clock
        self._mode = PanelMode.ON
        self._since = clock()
        self._home = False
        self._screen: Screen | None = None
        self._poke = asyncio.Event()

    @property
    def mode(self) -> PanelMode:
        """The panel's mode as last asked for."""
        return self._mode

    def key(self) -> bool:
        """A key was pressed: wake up. True if the panel was asleep: that key is swallowed."""
        was_asleep = self._mode is PanelMode.OFF
        self._wake()
        return was_asleep

    def screen(self, screen: Screen) -> None:
        """The flow shows ``screen``: a new one wakes the panel; only home screens may idle."""
        self._home = isinstance(screen, HOME_SCREENS)
        if screen != self._screen:
            self._screen = screen
            self._wake()

    def wake(self) -> None:
        """Light the panel now (a payment, a shutdown) and start counting again."""
        self._wake()

    def _wake(self) -> None:
        self._since = self._clock()
        self._apply(PanelMode.ON)
        self._poke.set()

    def _apply(self, mode: PanelMode) -> None:
        if mode is self._mode:
            return
        log.debug("panel %s", mode.value)
        self._mode = mode
        self._set_panel(mode)
        self._set_dark(mode is PanelMode.OFF)

    def next_step(self) -> tuple[float, PanelMode] | None:
        """When the panel next steps down, and to what; None when nothing is due."""
        if not self._home:
            return None
        steps = [(self._dim_after, PanelMode.DIM), (self._sleep_after, PanelMode.OFF)]
        order = [PanelMode.ON, PanelMode.DIM, PanelMode.OFF]
        for after, mode in steps:
            if after > 0 and order.index(mode) > order.index(self._mode):
                return self._since + after, mode
        return None

    async def run(self) -> None:
        """Wait for the next step down, or for news that moves it; never poll."""
        while True:
            self._poke.clear()
            step = self.next_step()
            if step is None:
                await self._poke.wait()
                continue
            at, mode = step
            try:
                async with asyncio.timeout(max(0.0, at - self._clock())):
                    await self._poke.wait()
            except TimeoutError:
                if self.next_step() == step:
                    self._apply(mode)
