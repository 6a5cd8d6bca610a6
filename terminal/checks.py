"""``blink-terminal check``: configuration, keys and their scopes, reachability, the panel."""

from __future__ import annotations

import asyncio

import websockets
from websockets.asyncio.client import connect

from terminal.blink.http import BlinkHttp
from terminal.config import Config
from terminal.errors import BlinkError, BlinkUnreachable, KeyRejected
from terminal.install_check import import_problems
from terminal.screens.geometry import MIN_QR_SIDE

# What each key must be allowed to do. READ on BlinkPOS only when its wallet id must be looked up.
POS_SCOPES = frozenset({"RECEIVE", "WRITE"})
MERCHANT_SCOPES = frozenset({"READ"})


class Report:
    """Collects check lines and the worst exit code."""

    def __init__(self) -> None:
        self.code = 0

    def ok(self, text: str) -> None:
        print(f"ok    {text}")

    def fail(self, text: str, code: int) -> None:
        print(f"FAIL  {text}")
        self.code = max(self.code, code)


def check_panel(config: Config, report: Report) -> None:
    """A panel asked to show QR codes must be big enough for a phone to read them."""
    width, height = config.display.size
    if config.display.qr and min(width, height) < MIN_QR_SIDE:
        report.fail(
            f"display: the {config.display.driver} panel is {width}x{height}: too small for a "
            "scannable invoice QR (phones need 2 px per module); set display.qr = false for "
            "text-only invoices, or fit a 128x128 or 240x240 panel",
            2,
        )
    else:
        report.ok(
            f"display: {config.display.driver} {width}x{height}, "
            f"QR {'on' if config.display.qr else 'off'}"
        )


async def _check_key(report: Report, http: BlinkHttp, name: str, needed: frozenset[str]) -> None:
    try:
        scopes = await http.scopes()
    except KeyRejected as exc:
        report.fail(f"{name} key: {exc}", 3)
        return
    except BlinkUnreachable as exc:
        report.fail(f"{name} key: cannot reach Blink: {exc}", 4)
        return
    except BlinkError as exc:
        report.fail(f"{name} key: {exc}", 3)
        return
    missing = needed - scopes
    if missing:
        report.fail(
            f"{name} key has scopes {', '.join(sorted(scopes)) or 'none'} but needs "
            f"{', '.join(sorted(missing))} too: create a key with "
            f"{' + '.join(sorted(needed))} in the Blink dashboard",
            3,
        )
    else:
        report.ok(f"{name} key: scopes {', '.join(sorted(scopes))}")


async def _check_socket(report: Report, config: Config) -> None:
    try:
        async with asyncio.timeout(config.blink.timeout_seconds):
            async with connect(
                config.blink.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
            ):
                pass
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        report.fail(f"blink.ws_url: cannot open the WebSocket ({type(exc).__name__})", 4)
    else:
        report.ok("blink.ws_url: the WebSocket opens")


async def _check_username(report: Report, http: BlinkHttp, setting: str, username: str) -> None:
    """A username money is paid to must have a BTC wallet at Blink."""
    try:
        await http.default_wallet(username)
    except BlinkUnreachable as exc:
        report.fail(f"{setting}: cannot reach Blink: {exc}", 4)
    except BlinkError as exc:
        report.fail(
            f"{setting}: Blink has no wallet for {username!r} ({exc}); check the spelling", 2
        )
    else:
        report.ok(f"{setting}: {username} has a BTC wallet")


async def _check_currency(report: Report, http: BlinkHttp, config: Config) -> None:
    """The cashier's currency must be one Blink prices, with the decimals the keypad types."""
    code, digits = config.terminal.currency, config.terminal.fraction_digits
    try:
        listed = {c.id: c for c in await http.currency_list()}
    except BlinkUnreachable as exc:
        report.fail(f"terminal.currency: cannot reach Blink: {exc}", 4)
        return
    except BlinkError as exc:
        report.fail(f"terminal.currency: cannot read Blink's currency list ({exc})", 4)
        return
    found = listed.get(code)
    if found is None:
        report.fail(f"terminal.currency: Blink does not price {code}; pick one it lists", 2)
    elif found.fraction_digits != digits:
        report.fail(
            f"terminal.currency: Blink counts {code} in {found.fraction_digits} decimals, the "
            f"terminal in {digits}: update the terminal",
            2,
        )
    else:
        report.ok(f"terminal.currency: Blink prices {code} ({digits} decimals)")


def till_summary(config: Config) -> str:
    """One line: whether the till menu has its PIN, and which receipt printer is set."""
    pin = "admin PIN set" if config.admin.pin is not None else "no admin PIN: the menu stays shut"
    return f"till menu: {pin}; receipts: {config.receipts.printer}"


async def run_checks(config: Config, *, offline: bool = False) -> int:
    """Print one line per check; return the exit code of the worst failure (0: all fine)."""
    report = Report()
    report.ok(f"configuration {config.path}")
    check_panel(config, report)
    report.ok(till_summary(config))
    for problem in import_problems(config):
        report.fail(problem, 5)
    if offline:
        return report.code
    pos = BlinkHttp(
        config.blink.api_url,
        config.blinkpos.key,
        key_name="BlinkPOS",
        timeout=config.blink.timeout_seconds,
    )
    needed = POS_SCOPES if config.blinkpos.wallet_id else POS_SCOPES | {"READ"}
    try:
        await _check_key(report, pos, "BlinkPOS", needed)
        if config.merchant.username:
            await _check_username(report, pos, "merchant.username", config.merchant.username)
        if config.tips.enabled and config.tips.recipient:
            await _check_username(report, pos, "tips.recipient", config.tips.recipient)
        if config.terminal.currency != "SAT":
            await _check_currency(report, pos, config)
        if config.merchant.key is not None:
            merchant = BlinkHttp(
                config.blink.api_url,
                config.merchant.key,
                key_name="merchant",
                timeout=config.blink.timeout_seconds,
            )
            try:
                await _check_key(report, merchant, "merchant", MERCHANT_SCOPES)
            finally:
                await merchant.aclose()
    finally:
        await pos.aclose()
    await _check_socket(report, config)
    return report.code
