"""The logical keys of the keypad, whatever the physical layout."""

from __future__ import annotations

import enum


class Key(enum.Enum):
    """A key as the payment flow understands it.

    The hardware layer maps physical labels to these (see ``hardware/README.md``):
    4x4 matrix ``0-9``, ``#`` OK, ``*`` CANCEL, ``A`` BACK, ``B`` RECONNECT, ``C`` MENU, ``D``
    unused; 3x4 matrix ``#`` OK, ``*`` BACK on a non-empty amount and CANCEL otherwise (the flow
    decides). A pad without a MENU key opens the menu with ``*`` three times on the idle screen.
    """

    D0 = "0"
    D1 = "1"
    D2 = "2"
    D3 = "3"
    D4 = "4"
    D5 = "5"
    D6 = "6"
    D7 = "7"
    D8 = "8"
    D9 = "9"
    OK = "ok"
    CANCEL = "cancel"
    BACK = "back"
    RECONNECT = "reconnect"
    MENU = "menu"  # the till menu, behind the admin PIN

    @property
    def digit(self) -> int | None:
        """The digit this key types, or None for a function key."""
        return int(self.value) if self.value.isdigit() else None

    @classmethod
    def from_digit(cls, d: int) -> Key:
        """The key that types digit ``d``."""
        return cls(str(d))
