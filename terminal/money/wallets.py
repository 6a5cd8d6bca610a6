"""Finding the two wallets every sale touches: BlinkPOS's own, and the merchant's."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from terminal.blink.http import BlinkHttp
from terminal.blink.reconnect import backoff
from terminal.config import Config
from terminal.errors import BlinkError, BlinkRejected, ConfigError, KeyRejected, ScopeDenied
from terminal.shell.poslink import PosLink

log = logging.getLogger(__name__)

# Retrying a refused key or a wrong username often helps nobody: the operator must act.
SLOW_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class Wallets:
    """The two wallets every sale touches."""

    pos: str
    merchant: str


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
    return Wallets(pos=pos, merchant=merchant)


async def resolve_wallets(config: Config, http: BlinkHttp, link: PosLink) -> Wallets:
    """The wallet ids, from the configuration or Blink, retrying until Blink answers."""
    delays = backoff()  # jittered, as the socket's: a fleet back from one outage spreads out
    while True:
        try:
            return await _lookup(config, http)
        except (KeyRejected, ScopeDenied) as exc:
            link.http_failed(str(exc), rejected=True)
            log.error("BlinkPOS wallets cannot be looked up: %s", exc)
            delay = SLOW_RETRY_SECONDS
        except BlinkRejected as exc:
            link.http_answered()
            log.error(
                "merchant.username %r: Blink has no wallet for it (%s); fix the configuration",
                config.merchant.username,
                exc.blink_message,
            )
            delay = SLOW_RETRY_SECONDS
        except BlinkError as exc:
            link.http_failed(str(exc))
            log.info("wallets not known yet: %s", exc)
            delay = next(delays)
        await asyncio.sleep(delay)
