"""The terminal's configuration: one TOML file, validated once at start-up into frozen dataclasses.

Every problem raises :class:`~terminal.errors.ConfigError` naming the setting and the fix; the
CLI turns it into exit code 2. Keys are read from files (see :mod:`terminal.keyfile`), never from
the TOML itself, so the configuration can be shown, copied and templated without secrets.
The format is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hardware.config import (
    DisplayConfig,
    GpioConfig,
    IndicatorConfig,
    KeypadConfig,
    read_toml,
)
from hardware.power_config import PowerConfig
from terminal.config_table import Table, is_loopback
from terminal.config_till import AdminSettings, ReceiptSettings, admin_settings, receipt_settings
from terminal.errors import ConfigError
from terminal.keyfile import read_key
from terminal.money.pricing import minor_digits
from terminal.secret import Secret

DEFAULT_PATH = Path("/etc/blink-terminal/terminal.toml")
_LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class TerminalSettings:
    """The [terminal] table: who the terminal is and how sales behave."""

    name: str
    state_dir: Path
    max_amount_sats: int
    invoice_expiry_minutes: int
    log_level: str
    # "ntp": take no sale until the OS says the clock is synchronised (a Pi has no RTC);
    # "trust": the clock is right from boot (a desktop, a board with an RTC).
    clock: str = "ntp"
    # Which device this is: a journal records it, and one found on another device (a cloned SD
    # card) forwards nothing until an operator adopts it.
    machine_id_file: Path = Path("/etc/machine-id")
    # What the cashier types amounts in: "SAT", or a currency Blink prices (EUR, JPY ...),
    # converted at Blink's rate, never one older than rate_max_age_seconds.
    currency: str = "SAT"
    fraction_digits: int = 0
    rate_max_age_seconds: float = 60.0


@dataclass(frozen=True)
class TipSettings:
    """The [tips] table: whether a tip is offered after the amount, and who gets it."""

    enabled: bool = False
    presets: tuple[int, ...] = (10, 15, 20)
    custom: bool = True
    recipient: str | None = None  # a Blink username: the tip is a payout of its own


@dataclass(frozen=True)
class BlinkSettings:
    """The [blink] table: where Blink is."""

    api_url: str
    ws_url: str
    timeout_seconds: float


@dataclass(frozen=True)
class PosAccount:
    """The [blinkpos] table: the intermediary account that receives and forwards."""

    key: Secret
    wallet_id: str | None


@dataclass(frozen=True)
class MerchantAccount:
    """The [merchant] table: where every sale goes."""

    username: str | None
    wallet_id: str | None
    key: Secret | None


@dataclass(frozen=True)
class Config:
    """The whole, validated configuration."""

    path: Path
    terminal: TerminalSettings
    blink: BlinkSettings
    blinkpos: PosAccount
    merchant: MerchantAccount
    display: DisplayConfig
    keypad: KeypadConfig
    indicators: IndicatorConfig
    power: PowerConfig
    gpio: GpioConfig
    tips: TipSettings = TipSettings()
    admin: AdminSettings = field(default_factory=AdminSettings)
    receipts: ReceiptSettings = field(default_factory=ReceiptSettings)


def check_url(setting: str, url: str, secure: str, plain: str) -> str:
    """``url`` if it uses ``secure`` (or ``plain`` on loopback only); else a ConfigError."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(
            setting, f"{url!r} is not a URL", f"write e.g. {secure}://api.blink.sv/graphql"
        )
    if parts.scheme == secure or (parts.scheme == plain and is_loopback(parts.hostname)):
        return url
    if parts.scheme == plain:
        raise ConfigError(
            setting,
            f"{plain}:// is only allowed on loopback (the sandbox): keys would travel in clear",
            f"use {secure}://",
        )
    raise ConfigError(setting, f"scheme {parts.scheme!r} is not supported", f"use {secure}://")


def _tables(document: Mapping[str, object]) -> dict[str, Mapping[str, object]]:
    known = (
        "terminal",
        "blink",
        "blinkpos",
        "merchant",
        "display",
        "keypad",
        "indicators",
        "power",
        "gpio",
        "tips",
        "admin",
        "receipts",
    )
    for name in document:
        if name not in known:
            raise ConfigError(name, "is not a known section", f"sections are: {', '.join(known)}")
    tables: dict[str, Mapping[str, object]] = {}
    for name in known:
        value = document.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(name, "must be a table", f"write [{name}] on a line of its own")
        tables[name] = value
    return tables


def _default_state_dir(base_dir: Path) -> Path:
    # systemd's StateDirectory= exports the path; a desktop run keeps state beside the config.
    env = os.environ.get("STATE_DIRECTORY")
    return Path(env.split(":")[0]) if env else base_dir / "state"


def load_config(path: Path) -> Config:
    """Read and validate the configuration at ``path``; raise ConfigError on any problem."""
    return parse_config(read_toml(path), path=path)


def load_terminal_settings(path: Path) -> TerminalSettings:
    """Only the [terminal] table of the configuration at ``path``: no key file is opened.

    For the read-only operator verbs (``history``, ``pending``), which need the state directory
    and nothing secret, so they never ask for a key or a copy of one.
    """
    tables = _tables(read_toml(path))
    return _terminal_settings(tables["terminal"], path.parent)


def _terminal_settings(table: Mapping[str, object], base_dir: Path) -> TerminalSettings:
    t = Table("terminal", table)
    name = t.get("name", str, "Blink terminal").strip()
    if not name or len(name) > 40:
        raise ConfigError(
            "terminal.name", "must be 1 to 40 characters", 'write e.g. name = "Corner Café"'
        )
    state_dir_text = t.get("state_dir", str, "")
    state_dir = Path(state_dir_text) if state_dir_text else _default_state_dir(base_dir)
    if not state_dir.is_absolute():
        state_dir = base_dir / state_dir
    max_amount = t.number("max_amount_sats", 1_000_000, 1, 100_000_000)
    expiry = t.number("invoice_expiry_minutes", 15, 1, 60)
    log_level = t.choice("log_level", "info", _LOG_LEVELS, fold_case=True)
    clock = t.choice("clock", "ntp", ("ntp", "trust"))
    machine_id = Path(t.get("machine_id_file", str, "/etc/machine-id"))
    if not machine_id.is_absolute():
        machine_id = base_dir / machine_id
    currency = t.get("currency", str, "SAT").strip().upper()
    if currency != "SAT" and not (len(currency) == 3 and currency.isalpha()):
        raise ConfigError(
            "terminal.currency",
            f"{currency!r} is not a currency code",
            'write "SAT" for sats, or a three-letter code Blink prices, e.g. "EUR"',
        )
    max_age = t.number("rate_max_age_seconds", 60.0, 5.0, 600.0)
    t.finish()
    return TerminalSettings(
        name,
        state_dir,
        max_amount,
        expiry,
        log_level,
        clock,
        machine_id,
        currency,
        minor_digits(currency),
        max_age,
    )


def _tips(table: Mapping[str, object]) -> TipSettings:
    t = Table("tips", table)
    enabled = t.get("enabled", bool, False)
    presets = t.get("presets", list, [10, 15, 20])
    if not all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 100 for p in presets):
        raise ConfigError(
            "tips.presets",
            "must be whole percents from 1 to 100",
            "write e.g. presets = [10, 15, 20]",
        )
    if len(presets) > 7:
        raise ConfigError("tips.presets", "offers at most 7 presets", "keys 2 to 8 choose them")
    custom = t.get("custom", bool, True)
    recipient = (t.get("recipient", str, "") or "").strip() or None
    t.finish()
    return TipSettings(enabled, tuple(presets), custom, recipient)


def parse_config(document: Mapping[str, object], *, path: Path) -> Config:
    """Validate an already-parsed TOML document (``path`` locates relative files)."""
    base_dir = path.parent
    tables = _tables(document)

    terminal = _terminal_settings(tables["terminal"], base_dir)

    b = Table("blink", tables["blink"])
    blink = BlinkSettings(
        api_url=check_url(
            "blink.api_url", b.get("api_url", str, "https://api.blink.sv/graphql"), "https", "http"
        ),
        ws_url=check_url(
            "blink.ws_url", b.get("ws_url", str, "wss://ws.blink.sv/graphql"), "wss", "ws"
        ),
        timeout_seconds=b.number("timeout_seconds", 10.0, 1.0, 120.0),
    )
    b.finish()

    p = Table("blinkpos", tables["blinkpos"])
    key_file = p.get("key_file", str, "")
    if not key_file:
        raise ConfigError(
            "blinkpos.key_file",
            "is required: the BlinkPOS key creates invoices and forwards sales",
            'write key_file = "blinkpos.key" and put the key in that file (chmod 600)',
        )
    pos = PosAccount(
        key=read_key("blinkpos.key_file", key_file, name="BlinkPOS", base_dir=base_dir),
        wallet_id=p.optional_str("wallet_id"),
    )
    p.finish()

    m = Table("merchant", tables["merchant"])
    username = m.optional_str("username")
    wallet_id = m.optional_str("wallet_id")
    if (username is None) == (wallet_id is None):
        raise ConfigError(
            "merchant.username",
            "give exactly one of merchant.username and merchant.wallet_id",
            "the merchant's Blink username is the easiest",
        )
    merchant_key_file = m.optional_str("key_file")
    merchant = MerchantAccount(
        username=username,
        wallet_id=wallet_id,
        key=read_key("merchant.key_file", merchant_key_file, name="merchant", base_dir=base_dir)
        if merchant_key_file
        else None,
    )
    m.finish()

    return Config(
        path=path,
        terminal=terminal,
        blink=blink,
        blinkpos=pos,
        merchant=merchant,
        display=DisplayConfig.from_table(tables["display"], base_dir=base_dir),
        keypad=KeypadConfig.from_table(tables["keypad"], base_dir=base_dir),
        indicators=IndicatorConfig.from_table(tables["indicators"], base_dir=base_dir),
        power=PowerConfig.from_table(tables["power"], base_dir=base_dir),
        gpio=GpioConfig.from_table(tables["gpio"], base_dir=base_dir),
        tips=_tips(tables["tips"]),
        admin=admin_settings(tables["admin"], base_dir),
        receipts=receipt_settings(tables["receipts"], base_dir),
    )
