"""The journal on a thread of its own, so an fsync never stalls the event loop.

On an SD card one durable commit can take tens of milliseconds; on the loop that would hold up the
countdown, the keypad and the socket's pongs. So the running terminal opens its
:class:`~terminal.money.journal.Journal` on one worker thread and sends every call there.

Ordering is what makes this safe, not speed:

* one thread, first in first out: calls run in the order they were made, one at a time;
* ``await journal.call(...)`` returns only once the call has returned on the worker, so a write
  is on disk before the coroutine that awaited it can do what depends on it (show a QR, send a
  pay request);
* a call that has started always finishes, even if the awaiting task is cancelled: a write is
  never cut in half (SQLite's transaction would make that safe anyway).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from terminal.money.journal import Journal

P = ParamSpec("P")
T = TypeVar("T")


class JournalThread:
    """A :class:`Journal` owned by one worker thread; every method call is awaited."""

    def __init__(self, executor: ThreadPoolExecutor, journal: Journal) -> None:
        self._executor = executor
        self._journal = journal
        self.terminal_id = journal.terminal_id
        self.path = journal.path

    @classmethod
    def start(cls, path: Path | str, *, commit_delay: float = 0.0) -> JournalThread:
        """Open the journal at ``path`` (see :meth:`Journal.open`) on a new worker thread.

        Blocks until it is open: call it in the start-up phase, before the loop has work.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        opener = functools.partial(Journal.open, path, commit_delay=commit_delay)
        try:
            journal = executor.submit(opener).result()
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, journal)

    async def call(
        self, method: Callable[Concatenate[Journal, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``method(journal, *args, **kwargs)`` on the journal's thread; its result."""
        work = functools.partial(method, self._journal, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """Finish every queued call, close the journal and end the thread (blocks until done)."""
        try:
            self._executor.submit(self._journal.close).result()
        finally:
            self._executor.shutdown(wait=True)
