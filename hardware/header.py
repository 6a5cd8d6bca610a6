"""The Raspberry Pi's 40-pin header: which physical pin carries which BCM GPIO, and bus roles.

Used wherever a maker is told what to check (the self-test's lines) and by the wiring drawings.
Identical on every 40-pin Pi (Zero 2 W up to Pi 5).
"""

from __future__ import annotations

# Physical pin -> what it carries ("GPIO17", "3V3", "5V", "GND").
PINS: dict[int, str] = {
    1: "3V3", 2: "5V", 3: "GPIO2", 4: "5V", 5: "GPIO3", 6: "GND", 7: "GPIO4", 8: "GPIO14",
    9: "GND", 10: "GPIO15", 11: "GPIO17", 12: "GPIO18", 13: "GPIO27", 14: "GND", 15: "GPIO22",
    16: "GPIO23", 17: "3V3", 18: "GPIO24", 19: "GPIO10", 20: "GND", 21: "GPIO9", 22: "GPIO25",
    23: "GPIO11", 24: "GPIO8", 25: "GND", 26: "GPIO7", 27: "GPIO0", 28: "GPIO1", 29: "GPIO5",
    30: "GND", 31: "GPIO6", 32: "GPIO12", 33: "GPIO13", 34: "GND", 35: "GPIO19", 36: "GPIO16",
    37: "GPIO26", 38: "GPIO20", 39: "GND", 40: "GPIO21",
}  # fmt: skip
# BCM number -> its alternative function on the buses the terminal uses.
ROLES = {2: "SDA", 3: "SCL", 10: "MOSI", 9: "MISO", 11: "SCLK", 8: "CE0", 7: "CE1"}


def physical(bcm: int) -> int:
    """The header pin of BCM GPIO ``bcm`` (ValueError if it is not on the header)."""
    for pin, name in PINS.items():
        if name == f"GPIO{bcm}":
            return pin
    raise ValueError(f"GPIO{bcm} is not on the 40-pin header")


def where(bcm: int) -> str:
    """``GPIO24 (header pin 18)``, with the bus role where it has one: ``GPIO10 MOSI (pin 19)``."""
    role = f" {ROLES[bcm]}" if bcm in ROLES else ""
    return f"GPIO{bcm}{role} (header pin {physical(bcm)})"
