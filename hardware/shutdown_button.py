"""The optional shutdown button: a long press on one GPIO pin asks for the shutdown sequence.

A gpiozero ``Button`` (pull-up, to ground when pressed) with ``hold_time``: only a press held
that long counts, so a brush against it at a busy stall does nothing. gpiozero calls back on its
own thread, so the press reaches the event loop only through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from terminal.errors import HardwareError

log = logging.getLogger(__name__)


class ShutdownButton:
    """Calls ``on_held`` on ``loop`` once per press held for ``hold_seconds``."""

    def __init__(
        self,
        pin: int,
        hold_seconds: float,
        on_held: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        *,
        pin_factory: Any = None,
    ) -> None:
        from gpiozero import Button, GPIOZeroError

        try:
            self._button = Button(
                pin, pull_up=True, hold_time=hold_seconds, pin_factory=pin_factory
            )
        except GPIOZeroError as exc:
            raise HardwareError(
                f"cannot claim the shutdown button on GPIO{pin} ({exc}): check "
                "power.shutdown_button and that the user is in the gpio group"
            ) from exc
        self._button.when_held = lambda: loop.call_soon_threadsafe(self._held, on_held)

    @staticmethod
    def _held(on_held: Callable[[], None]) -> None:
        log.warning("shutdown button held: shutting down")
        on_held()

    def close(self) -> None:
        """Release the pin."""
        self._button.close()
