"""Finding the two wallets every sale touches: BlinkPOS's own, and the merchant's."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from terminal.blink.http import BlinkHttp
from terminal.blink.reconnect import backoff
from terminal.config import Config
from terminal.errors import BlinkError, BlinkRejected, ConfigError, KeyRejected, ScopeDenied

log = logging.getLogger(__name__)

# Retrying a refused key or a wrong username often helps nobody: the operator must act.
SLOW_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class Wallets:
    """The two wallets every sale touches."""

    pos: str
    merchant: str
    tip: str | None = None  # the tip recipient's, when tips go to a person of their own


class WalletReporter(Protocol):
    """Where the lookup reports what it learns about Blink (the link board)."""

    def pos_http_answered(self) -> None:
        """Blink answered."""

    def pos_http_failed(self, reason: str, *, rejected: bool = False) -> None:
        """Blink did not answer, or refused the key."""

    def wallets_found(self) -> None:
        """Both wallets are known."""

    def wallets_missing(self, problem: str) -> None:
        """The lookup failed for a reason the operator must fix."""


class WalletBook:
    """The wallet ids, once known; sale-making and forwarding wait on :meth:`get`."""

    def __init__(self) -> None:
        self._found = asyncio.Event()
        self._wallets: Wallets | None = None

    @classmethod
    def known(cls, wallets: Wallets) -> WalletBook:
        """A book whose wallets are known from the start (configured ids, tests)."""
        book = cls()
        book.set(wallets)
        return book

    def set(self, wallets: Wallets) -> None:
        """Record the wallets and release everyone waiting for them."""
        self._wallets = wallets
        self._found.set()

    async def get(self) -> Wallets:
        """The wallets, waiting until they are known."""
        await self._found.wait()
        assert self._wallets is not None
        return self._wallets


async def _lookup(config: Config, http: BlinkHttp) -> Wallets:
    pos = config.blinkpos.wallet_id
    if pos is None:
        wallet = (await http.me()).wallet("BTC")
        if wallet is None:
            raise ConfigError(
                "blinkpos.wallet_id",
                "the BlinkPOS account has no BTC wallet",
                "set wallet_id to the BTC wallet of the BlinkPOS account",
            )
        pos = wallet.id
    merchant = config.merchant.wallet_id
    if merchant is None:
        assert config.merchant.username is not None  # the config holds exactly one of the two
        merchant = (await http.default_wallet(config.merchant.username)).id
    tip = None
    if config.tips.enabled and config.tips.recipient:
        tip = (await http.default_wallet(config.tips.recipient)).id
    return Wallets(pos=pos, merchant=merchant, tip=tip)


async def resolve_wallets(
    config: Config, http: BlinkHttp, book: WalletBook, board: WalletReporter
) -> Wallets:
    """Fill ``book`` from the configuration or Blink, retrying until Blink answers."""
    delays = backoff()  # jittered, as the socket's: a fleet back from one outage spreads out
    while True:
        try:
            wallets = await _lookup(config, http)
        except (KeyRejected, ScopeDenied) as exc:
            board.pos_http_failed(str(exc), rejected=True)
            log.error("BlinkPOS wallets cannot be looked up: %s", exc)
            delay = SLOW_RETRY_SECONDS
        except BlinkRejected as exc:
            board.pos_http_answered()
            problem = f"Blink knows no merchant {config.merchant.username!r}: fix merchant.username"
            board.wallets_missing(problem)
            log.error(
                "merchant.username %r: Blink has no wallet for it (%s); fix the configuration",
                config.merchant.username,
                exc.blink_message,
            )
            delay = SLOW_RETRY_SECONDS
        except BlinkError as exc:
            board.pos_http_failed(str(exc))
            log.info("wallets not known yet: %s", exc)
            delay = next(delays)
        else:
            book.set(wallets)
            if config.blinkpos.wallet_id is None or config.merchant.wallet_id is None:
                board.pos_http_answered()  # only when a lookup really went to Blink
            board.wallets_found()
            log.info("BlinkPOS wallet and merchant wallet found")
            return wallets
        await asyncio.sleep(delay)
