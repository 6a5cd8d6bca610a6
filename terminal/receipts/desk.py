"""When receipts are printed: after the journal says forwarded, and at most once per sale.

The forwarder reports each sale it journaled forwarded; the desk queues it, checks the journal
once more, marks the receipt in the journal (durably) and only then sends it to the printer,
on a thread of its own so a slow or absent printer never holds up the loop or the journal.
Marking first means a crash or a power cut mid-print loses that receipt rather than printing
it twice; a receipt that could not be printed is not tried again (the menu reprints the last
one). Nothing here touches the money: a printer that fails costs a receipt, never a sale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from terminal.errors import HardwareError, JournalError
from terminal.money.journal import Journal
from terminal.money.sale import Sale, SaleState
from terminal.money.worker import JournalThread
from terminal.receipts.layout import receipt_for
from terminal.receipts.printers import Printer
from terminal.sales_report import local_time

log = logging.getLogger(__name__)


class ReceiptDesk:
    """Prints one receipt per forwarded sale; run :meth:`run` as a task."""

    def __init__(
        self,
        journal: JournalThread,
        printer: Printer,
        shop: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._journal = journal
        self._printer = printer
        self._shop = shop
        self._clock = clock
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        # One printer, one thread: receipts come out whole and in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")
        self.printed: list[str] = []  # sale ids printed by this process, in order (first prints)

    def forwarded(self, sale_id: str) -> None:
        """The journal says ``sale_id`` was forwarded: queue its receipt (call on the loop)."""
        self._queue.put_nowait(sale_id)

    async def run(self) -> None:
        """Print queued receipts until cancelled."""
        try:
            while True:
                sale_id = await self._queue.get()
                try:
                    await self.print_once(sale_id)
                finally:
                    self._queue.task_done()
        finally:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def drained(self) -> None:
        """Return once every receipt queued so far has been handled (printed or given up)."""
        await self._queue.join()

    async def print_once(self, sale_id: str) -> bool:
        """Print ``sale_id``'s receipt unless it was printed before; True if it was sent now."""
        try:
            sale = await self._journal.call(Journal.sale, sale_id)
            if sale.state is not SaleState.FORWARDED:
                log.warning("sale %s is %s: no receipt before it is forwarded", sale_id, sale.state)
                return False
            if not await self._journal.call(Journal.claim_receipt, sale_id, self._clock()):
                log.debug("sale %s: its receipt was printed before", sale_id)
                return False
        except JournalError as exc:
            log.error("sale %s: no receipt (%s)", sale_id, exc)
            return False
        problem = await self._print(sale, copy=False)
        if problem:
            log.warning(
                "sale %s: receipt not printed: %s (it is not tried again; the menu reprints the "
                "last receipt)",
                sale_id,
                problem,
            )
            return False
        self.printed.append(sale_id)
        log.info("sale %s: receipt printed", sale_id)
        return True

    async def reprint_last(self) -> str:
        """Print the last receipt again, marked as a copy; a short sentence for the menu."""
        try:
            sale = await self._journal.call(Journal.last_receipt)
        except JournalError as exc:
            log.error("reprint: %s", exc)
            return "The journal cannot be read: call the operator"
        if sale is None:
            return "No receipt printed yet"
        problem = await self._print(sale, copy=True)
        if problem:
            log.warning("reprint of sale %s failed: %s", sale.id, problem)
            return "Printer failed: check paper and cable"
        log.info("sale %s: receipt printed again (copy)", sale.id)
        return "Receipt printed again"

    async def _print(self, sale: Sale, *, copy: bool) -> str:
        """Send the receipt to the printer on its thread; "" if it printed, else why not."""
        when = local_time(sale.forwarded_at or sale.updated_at)
        receipt = receipt_for(sale, self._shop, when, copy=copy)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._printer.print_receipt, receipt)
        except HardwareError as exc:
            return str(exc)
        return ""
