"""A sandbox on its own thread and event loop, for synchronous and subprocess tests."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from terminal.errors import TerminalError
from terminal.sandbox.server import Sandbox


class SandboxThread:
    """``with SandboxThread(**kwargs) as sb:`` runs a started :class:`Sandbox` in the background.

    Attributes of the sandbox (``keys``, ``http_url``, ``faults``...) are reachable directly;
    call coroutine methods through :meth:`call`, e.g. ``sb.call(sb.sandbox.pay(request))``.
    """

    def __init__(self, start_timeout: float = 10.0, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._start_timeout = start_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="blink-sandbox", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.sandbox: Sandbox | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self.sandbox = Sandbox(**self._kwargs)
            self._loop.run_until_complete(self.sandbox.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    def start(self) -> Sandbox:
        """Start the thread and wait until the sandbox listens."""
        self._thread.start()
        if not self._ready.wait(self._start_timeout) or self.sandbox is None or self._error:
            raise TerminalError(f"the sandbox did not start: {self._error!r}") from self._error
        return self.sandbox

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the sandbox's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def pay(self, payment_request: str, payer: str = "customer") -> str:
        """Pay from another thread; the PaymentSendResult status."""
        assert self.sandbox is not None
        status: str = self.call(self.sandbox.pay(payment_request, payer))
        return status

    def stop(self) -> None:
        """Stop the sandbox and its loop, and join the thread."""
        if self.sandbox is not None and self._loop.is_running():
            self.call(self.sandbox.stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)

    def __enter__(self) -> SandboxThread:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        sandbox = self.__dict__.get("sandbox")
        if sandbox is None:
            raise AttributeError(name)
        return getattr(sandbox, name)
