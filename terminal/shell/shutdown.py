"""The shutdown sequence: stop new sales, finish the forwards, say so, and power the unit off.

1. Stop new sales (the link board's blocker: the screen says why, the flow refuses an amount).
2. Wait until the journal says no money is between BlinkPOS and the merchant (no sale paid and
   unforwarded, no pay request without an answer), or until the grace time has passed on the
   monotonic clock: with no network the forwards cannot finish, and the battery must not die
   under a half-written journal. What is left is forwarded at the next start.
3. Show "Shutting down" with what happened to the money.
4. Ask for the power-off. Refused (no polkit rule, say): say so and keep running with sales
   stopped, so the forwarder keeps trying until someone switches the unit off.

Nothing here writes to the journal, and the money path runs on untouched while it waits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hardware.poweroff import PowerOff
from terminal.errors import HardwareError
from terminal.screens.draw import time_left
from terminal.screens.model import Screen, ShuttingDown

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    """What the journal still owes the merchant."""

    received: int  # sales paid and not yet forwarded
    in_flight: int  # pay requests sent with no answer journaled

    @property
    def nothing(self) -> bool:
        """True when switching off now leaves no money in transit."""
        return self.received == 0 and self.in_flight == 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class Shutdown:
    """One shutdown sequence; :meth:`run` returns True once the power-off was accepted."""

    def __init__(
        self,
        *,
        stop_sales: Callable[[str | None], None],
        pending: Callable[[], Awaitable[Pending]],
        show: Callable[[Screen], None],
        power_off: PowerOff,
        grace_seconds: float,
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stop_sales = stop_sales
        self._pending = pending
        self._show = show
        self._power_off = power_off
        self._grace = grace_seconds
        self._check = check_seconds
        self._clock = clock
        self._news = asyncio.Event()
        self.requested = False  # the power-off request was made (too late to call it off)

    def nudge(self) -> None:
        """Something may have changed (a forward finished): look at the journal now."""
        self._news.set()

    async def run(self, reason: str) -> bool:
        """Carry out the sequence for ``reason`` ("Battery nearly empty"); see the module doc."""
        log.warning("shutting down (%s): no new sales; finishing the forwards", reason)
        self._stop_sales(f"{reason}: shutting down, no new sales")
        try:
            left = await self._finish_forwards(reason)
        except asyncio.CancelledError:
            # Called off before the power-off (a charger was plugged in): sell again.
            self._stop_sales(None)
            raise
        if left.nothing:
            detail = "Every payment has reached the merchant."
        else:
            log.warning(
                "%s not forwarded after %.0f s (no network?): they go out at the next start",
                _plural(left.received, "sale"),
                self._grace,
            )
            detail = (
                f"No network: {_plural(left.received, 'payment')} not yet forwarded. "
                "They are kept and forwarded at the next start."
            )
        self._show(ShuttingDown(reason, detail))
        self.requested = True
        try:
            await self._power_off.request()
        except HardwareError as exc:
            log.error("power-off failed: %s", exc)
            self._show(ShuttingDown(reason, "Power-off refused: switch the unit off by hand."))
            return False
        log.warning("power-off requested (%s)", self._power_off.name)
        return True

    async def _finish_forwards(self, reason: str) -> Pending:
        deadline = self._clock() + self._grace
        while True:
            self._news.clear()
            pending = await self._pending()
            remaining = deadline - self._clock()
            if pending.nothing or remaining <= 0:
                return pending
            n = max(pending.received, pending.in_flight)
            self._show(
                ShuttingDown(
                    reason,
                    f"Finishing {_plural(n, 'forward')} to the merchant "
                    f"({time_left(remaining)} left)",
                    waiting=True,
                )
            )
            # A forward result nudges; otherwise look again each ``check`` (the countdown).
            try:
                async with asyncio.timeout(min(self._check, remaining)):
                    await self._news.wait()
            except TimeoutError:
                pass
