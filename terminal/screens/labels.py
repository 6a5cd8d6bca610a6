"""What the keys are called on the keypad in use, so the screens name the key the merchant sees.

The keypad driver picks the labels (a 4x4 pad says ``#`` and ``*``, the desktop keyboard says
Enter and Esc) and the screens draw hints with them. Texts from the payment flow name a key by
its role ("press RECONNECT"); :func:`with_labels` turns that into the key's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from terminal.keys import Key


@dataclass(frozen=True)
class KeyLabels:
    """The printed label of each function key; None where the keypad has no such key."""

    ok: str
    cancel: str
    back: str
    reconnect: str | None
    menu: str | None = None  # None: the pad opens the menu with CANCEL three times

    def of(self, key: Key) -> str | None:
        """The label of ``key`` on this keypad (a digit is its own label)."""
        if key.digit is not None:
            return key.value
        return {
            Key.OK: self.ok,
            Key.CANCEL: self.cancel,
            Key.BACK: self.back,
            Key.RECONNECT: self.reconnect,
            Key.MENU: self.menu,
        }[key]


# 4x4: ``*`` cancels, ``A`` deletes a digit, ``B`` reconnects, ``C`` opens the menu
# (hardware/README.md).
KEYPAD_4X4 = KeyLabels(ok="#", cancel="*", back="A", reconnect="B", menu="C")
# 3x4: ``*`` deletes a digit and, on an empty amount, cancels; there is no reconnect key.
KEYPAD_3X4 = KeyLabels(ok="#", cancel="*", back="*", reconnect=None)
DESKTOP = KeyLabels(ok="Enter", cancel="Esc", back="Backspace", reconnect="r", menu="m")

_PRESS_ROLE = re.compile(r"\bpress (OK|CANCEL|BACK|RECONNECT|MENU)\b")


def with_labels(text: str, labels: KeyLabels) -> str:
    """``text`` with each "press ROLE" naming this keypad's key ("press RECONNECT" -> "press B")."""

    def label(match: re.Match[str]) -> str:
        shown = labels.of(Key[match.group(1)])
        return match.group(0) if shown is None else f"press {shown}"

    return _PRESS_ROLE.sub(label, text)
