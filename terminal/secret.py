"""Keys as values that cannot leak by accident, and the one ``redact()`` every log line uses."""

from __future__ import annotations

import re
import threading

_REDACTED = "«redacted»"
# Anything that looks like a Blink key, even one we were never told about.
_KEY_PATTERN = re.compile(r"\b(?:blink|galoy_staging|galoy|sandbox)_[A-Za-z0-9_\-]{8,}")

_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    """A key. ``str()``/``repr()`` never show it; only :meth:`reveal` does, at the wire."""

    __slots__ = ("_name", "_value")

    def __init__(self, name: str, value: str) -> None:
        self._name = name
        self._value = value
        if value:
            with _lock:
                _known.add(value)

    @property
    def name(self) -> str:
        """What the key is for, e.g. "BlinkPOS"; safe to show."""
        return self._name

    def reveal(self) -> str:
        """The key itself, for the one header or frame that must carry it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self._name!r}, {_REDACTED})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str) -> str:
    """``text`` with every known key, and anything shaped like a Blink key, replaced."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, _REDACTED)
    return _KEY_PATTERN.sub(_REDACTED, text)
