"""The sats in flight: paid by customers, not yet forwarded. On screen until they are zero.

On a stall's flaky data a paid sale may wait minutes for its forward. The merchant should see
that money is owed, and see it go to zero when the network returns. The figure is read from the
journal (the one truth), never counted in memory: a read when something happened to a sale (a
payment, a forward's outcome) and, while anything is owed, every few seconds, since a forward
that keeps failing reports nothing new. Reads only: nothing is written for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from terminal.money.journal import Journal
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)

# While sats are owed, the journal is read this often even without news.
RECHECK_SECONDS = 5.0


def owed_sats(journal: Journal) -> int:
    """Sats of every sale received and not yet forwarded (on the journal's thread)."""
    return sum(sale.amount_sats for sale in journal.unforwarded_received())


class InFlight:
    """Reads the sats in flight when nudged (and while any are owed) and reports them."""

    def __init__(
        self,
        journal: JournalThread,
        report: Callable[[int], None],
        *,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        self._journal = journal
        self._report = report
        self._recheck = recheck
        self._news = asyncio.Event()

    def nudge(self) -> None:
        """Something happened to a sale's money: read the figure again (loop thread only)."""
        self._news.set()

    async def run(self) -> None:
        """Report the figure at start (sales owed from before a restart) and on every change."""
        shown: int | None = None
        while True:
            self._news.clear()
            sats = await self._journal.call(owed_sats)
            if sats != shown:
                log.debug("sats in flight: %d", sats)
                self._report(sats)
                shown = sats
            wait = None if sats == 0 else self._recheck
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._news.wait()
