"""The flow's named timers on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from terminal.flow.events import Event, TimerFired


class Timers:
    """``StartTimer``/``CancelTimer`` effects: a named timer fires ``TimerFired(name)`` once."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def start(self, name: str, seconds: float) -> None:
        """(Re)start ``name``; a running timer of that name is replaced."""
        self.cancel(name)
        loop = asyncio.get_running_loop()
        self._handles[name] = loop.call_later(max(0.0, seconds), self._fire, name)

    def cancel(self, name: str) -> None:
        """Stop ``name`` if it is running."""
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        """Stop every timer (shutdown)."""
        for name in list(self._handles):
            self.cancel(name)

    def _fire(self, name: str) -> None:
        self._handles.pop(name, None)
        self._emit(TimerFired(name))
