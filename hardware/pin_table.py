"""The GPIO-shaped settings of the hardware sections: a BCM pin, a list of pins, row labels."""

from __future__ import annotations

from collections.abc import Mapping

from terminal.config_table import Table
from terminal.errors import ConfigError

# BCM numbers on the 40-pin header.
GPIO_RANGE = range(28)


class PinTable(Table):
    """The shared table reader plus the GPIO-shaped settings only hardware sections have."""

    def pin(self, key: str, default: int | None) -> int | None:
        """A BCM pin number; -1 (or absent with no default) means not fitted."""
        self.read.add(key)
        if key not in self.raw:
            return default
        # The default only shapes the example in a type error; -1 (none) is always right too.
        value = self.get(key, int, -1 if default is None else default)
        if value == -1:
            return None
        if value not in GPIO_RANGE:
            raise ConfigError(
                self.setting(key),
                f"GPIO{value} does not exist",
                "use a BCM number 0..27, or -1 for none",
            )
        return value

    def pins(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """A list of BCM pin numbers."""
        self.read.add(key)
        if key not in self.raw:
            return default
        value = self.raw[key]
        if not isinstance(value, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) for p in value
        ):
            raise ConfigError(
                self.setting(key),
                "must be a list of BCM pin numbers",
                f"write e.g. {key} = {list(default)}",
            )
        bad = [p for p in value if p not in GPIO_RANGE]
        if bad:
            raise ConfigError(self.setting(key), f"no such GPIO: {bad}", "use BCM numbers 0..27")
        return tuple(value)

    def labels(self, key: str) -> tuple[str, ...]:
        """A list of strings, one per keypad row; absent means none."""
        self.read.add(key)
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
            raise ConfigError(
                self.setting(key),
                "must be a list of strings, one per row",
                'write e.g. labels = ["123A", "456B", "789C", "*0#D"]',
            )
        return tuple(value)


def no_duplicates(section: str, named: Mapping[str, int | None]) -> None:
    """Refuse two settings of ``section`` on one GPIO line."""
    seen: dict[int, str] = {}
    for key, pin in named.items():
        if pin is None:
            continue
        if pin in seen:
            raise ConfigError(
                f"{section}.{key}",
                f"GPIO{pin} is also {section}.{seen[pin]}",
                "give each line its own pin",
            )
        seen[pin] = key
