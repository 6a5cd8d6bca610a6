"""The optional merchant link: confirms that forwarded sales arrived, and keeps the balance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from terminal.blink import documents
from terminal.blink.http import BlinkHttp
from terminal.blink.socket import BlinkSocket
from terminal.blink.updates import LnPaid, parse_my_update
from terminal.errors import BlinkError
from terminal.money.journal import Journal
from terminal.money.worker import JournalThread

log = logging.getLogger(__name__)


class MerchantLink:
    """Watches the merchant's own account with its READ key (never a key that can spend)."""

    def __init__(
        self,
        journal: JournalThread,
        http: BlinkHttp,
        socket: BlinkSocket,
        *,
        on_balance: Callable[[int], None] | None = None,
    ) -> None:
        self._journal = journal
        self._http = http
        self._socket = socket
        self._on_balance = on_balance  # the till menu shows the figure

    async def run(self) -> None:
        """Run the merchant socket; refresh the balance, then report each arriving forward."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._socket.run(), name="merchant socket")
            group.create_task(self._watch(), name="merchant updates")

    def reconnect_now(self) -> None:
        """Drop and re-open the merchant socket now (the keypad's reconnect key)."""
        self._socket.reconnect_now()

    async def close(self) -> None:
        """Close the socket and the HTTP client."""
        try:
            await self._socket.close()
        finally:
            await self._http.aclose()

    async def refresh_balance(self) -> None:
        """Read the merchant's BTC balance (for the log, ``check`` and the till menu)."""
        try:
            account = await self._http.me()
        except BlinkError as exc:
            log.warning("merchant balance unavailable: %s", exc)
            return
        wallet = account.wallet("BTC")
        if wallet is not None and wallet.balance is not None:
            log.info("merchant balance: %d sats", wallet.balance)
            if self._on_balance is not None:
                self._on_balance(wallet.balance)

    async def _watch(self) -> None:
        await self.refresh_balance()
        async for payload in self._socket.subscribe(documents.MY_UPDATES, essential=True):
            update = parse_my_update(payload)
            if isinstance(update, LnPaid):
                await self._arrived(update)
                await self.refresh_balance()

    async def _arrived(self, update: LnPaid) -> None:
        # Only invoices this terminal made for the merchant count as its forwards.
        sale = await self._journal.call(Journal.by_merchant_hash, update.payment_hash)
        if sale is not None:
            log.info(
                "sale %s arrived in the merchant's account (%s sats)", sale.id, update.amount_sats
            )
