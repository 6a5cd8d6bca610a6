"""Reading one table of config.toml: the typed reads every section shares, and the loopback test.

Both :mod:`terminal.config` and :mod:`hardware.config` read the same file, so they read it one
way: the same types accepted, the same keys refused, the same error text. This module imports
nothing of either (``terminal.config`` imports ``hardware.config``, so a shared reader inside
either one would be a cycle). Every error is a :class:`~terminal.errors.ConfigError` that names
the setting in full (``display.rotate``), says what is wrong, and shows a right value.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import TypeVar

from terminal.errors import ConfigError

T = TypeVar("T")
# A bounded setting is a whole number or a number; the default's type says which is wanted.
N = TypeVar("N", int, float)

_WANTED = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
_EXAMPLE = {str: '"text"', int: "10", float: "10.0", bool: "true"}


class Table:
    """One TOML table being read: typed reads that name the setting, then unknown keys refused."""

    def __init__(self, section: str, raw: Mapping[str, object]) -> None:
        self.section = section
        self.raw = raw
        # Every key asked for, present or not: whatever is left over at finish() is a typo.
        self.read: set[str] = set()

    def setting(self, key: str) -> str:
        """The full dotted name an operator finds in the file, e.g. ``display.rotate``."""
        return f"{self.section}.{key}"

    def get(self, key: str, kind: type[T], default: T) -> T:
        """``key`` as ``kind`` (an int widens to float; a bool is never an int), or ``default``."""
        self.read.add(key)
        if key not in self.raw:
            return default
        value = self.raw[key]
        # TOML integers are acceptable where a float is wanted; bools are not ints here
        # (Python's bool is an int, but a TOML `true` must not pass for a pin or an amount).
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                self.setting(key),
                f"must be {_WANTED.get(kind, kind.__name__)}, not {_describe(value)}",
                f"write e.g. {key} = {_example(kind, default)}",
            )
        return value

    def optional_str(self, key: str) -> str | None:
        """A string setting where absent, empty and blank all mean "not given"."""
        return self.get(key, str, "").strip() or None

    def number(self, key: str, default: N, low: N, high: N) -> N:
        """A whole number (or a number, when ``default`` is a float) within ``low..high``."""
        value = self.get(key, type(default), default)
        if not low <= value <= high:
            raise ConfigError(
                self.setting(key),
                f"must be between {low} and {high}, not {value}",
                f"write e.g. {key} = {_toml(default)}",
            )
        return value

    def choice(
        self, key: str, default: str, choices: tuple[str, ...], *, fold_case: bool = False
    ) -> str:
        """One of ``choices``; with ``fold_case`` any capitalisation, returned in lower case."""
        value = self.get(key, str, default)
        wanted = value.lower() if fold_case else value
        if wanted not in choices:
            raise ConfigError(
                self.setting(key),
                f"{value!r} is not one of its choices",
                f"use one of: {', '.join(choices)}",
            )
        return wanted

    def finish(self) -> None:
        """Refuse any key nothing read: a typo must not silently fall back to a default."""
        unknown = sorted(set(self.raw) - self.read)
        if unknown:
            raise ConfigError(
                self.setting(unknown[0]),
                "is not a known setting",
                "check the spelling against docs/configuration.md",
            )


def is_loopback(host: str | None) -> bool:
    """True for a loopback IP address or ``localhost``: a host only this machine can reach."""
    if host is None:
        return False
    # RFC 6761 reserves "localhost" for loopback, and the OS resolves it only there.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(value: object) -> str:
    # In TOML's words, not Python's: an operator wrote `true` or `"18"`, not a bool or a str.
    if isinstance(value, bool):
        return "true/false"
    for kind, name in ((int, "a whole number"), (float, "a number"), (str, "a string")):
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _example(kind: type, default: object) -> str:
    # The default is a right value by construction; an empty one shows nothing, so use a stock one.
    if default in ("", None):
        return _EXAMPLE.get(kind, "...")
    return _toml(default)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # A TOML basic string escapes like JSON; keep non-ASCII (a café's name) readable.
        return json.dumps(value, ensure_ascii=False)
    return str(value)
