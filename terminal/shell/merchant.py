"""The optional merchant link: confirms that forwarded sales arrived, and keeps the balance."""

from __future__ import annotations

import logging

from terminal.blink import documents
from terminal.blink.http import BlinkHttp
from terminal.blink.socket import BlinkSocket
from terminal.blink.updates import LnPaid, parse_my_update
from terminal.errors import BlinkError
from terminal.money.journal import Journal

log = logging.getLogger(__name__)


class MerchantLink:
    """Watches the merchant's own account with its READ key (never a key that can spend)."""

    def __init__(
        self,
        journal: Journal,
        http: BlinkHttp,
        socket: BlinkSocket,
    ) -> None:
        self._journal = journal
        self._http = http
        self._socket = socket

    async def run(self) -> None:
        """Refresh the balance, then report each arriving forward, forever."""
        await self.refresh_balance()
        async for payload in self._socket.subscribe(documents.MY_UPDATES, essential=True):
            update = parse_my_update(payload)
            if isinstance(update, LnPaid):
                self._arrived(update)
                await self.refresh_balance()

    async def refresh_balance(self) -> None:
        """Read the merchant's BTC balance (for the log and ``check``)."""
        try:
            account = await self._http.me()
        except BlinkError as exc:
            log.warning("merchant balance unavailable: %s", exc)
            return
        wallet = account.wallet("BTC")
        if wallet is not None and wallet.balance is not None:
            log.info("merchant balance: %d sats", wallet.balance)

    def _arrived(self, update: LnPaid) -> None:
        # Only invoices this terminal made for the merchant count as its forwards.
        sale = self._journal.by_merchant_hash(update.payment_hash)
        if sale is not None:
            log.info(
                "sale %s arrived in the merchant's account (%s sats)", sale.id, update.amount_sats
            )
