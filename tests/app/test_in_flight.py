"""The sats in flight reach the status bar from the journal: at start, when nudged, and again
while any are owed (a forward that keeps failing reports nothing new)."""

from __future__ import annotations

import asyncio

from terminal.money.journal import Journal
from terminal.money.worker import JournalThread
from terminal.shell.inflight import InFlight, owed_sats
from tests.journal.test_journal import NOW, open_sale
from tests.support.timing import scaled


async def _next(seen: asyncio.Queue[int]) -> int:
    async with asyncio.timeout(scaled(5.0)):
        return await seen.get()


async def test_the_figure_follows_the_journal(journal_thread: JournalThread) -> None:
    first = await journal_thread.call(open_sale, 2100, "a")
    await journal_thread.call(Journal.mark_received, first, NOW + 2)  # owed from before a restart
    seen: asyncio.Queue[int] = asyncio.Queue()
    watch = InFlight(journal_thread, seen.put_nowait, recheck=scaled(0.05))
    task = asyncio.create_task(watch.run())
    try:
        assert await _next(seen) == 2100
        second = await journal_thread.call(open_sale, 500, "b")
        await journal_thread.call(Journal.mark_received, second, NOW + 3)
        # No nudge: the re-read while sats are owed finds it anyway.
        assert await _next(seen) == 2600
        await journal_thread.call(Journal.mark_forwarded, first, NOW + 4)
        await journal_thread.call(Journal.mark_forwarded, second, NOW + 5)
        watch.nudge()
        assert await _next(seen) == 0
        # Nothing owed: no more re-reads, so only a nudge brings news (none here).
        assert await journal_thread.call(owed_sats) == 0
        assert seen.empty()
    finally:
        task.cancel()
