"""Pure translation of Blink's GraphQL answers into values and the terminal's error tree.

Blink reports failures in three places (API-NOTES §5): top-level ``errors`` (auth, scope,
wallet ownership; ``data.<field>`` is null), ``errors`` inside a mutation's payload (business
errors, and for mutations also scope denials), and ``code`` either at the top of an error
object or under ``extensions``. Everything here is I/O-free so every shape is testable alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from terminal.errors import (
    BlinkRejected,
    InsufficientBalance,
    InvoiceExpired,
    KeyRejected,
    MalformedAnswer,
    RateLimited,
    ScopeDenied,
)
from terminal.secret import redact

from .models import BlinkErrorInfo

DEFAULT_RETRY_AFTER = 60.0
"""Seconds to wait after a rate limit that did not say how long (Blink blocks for up to 300)."""

MAX_RETRY_AFTER = 300.0
"""The longest wait a ``Retry-After`` may impose: Blink's longest block. A bigger value (a proxy's
"inf" or a date years ahead) would stop forwarding for good; past 300 s, asking again costs one
more 429 at worst."""

_MAX_MESSAGE = 200  # a hostile peer must not fill our logs and screens through an error text


def error_code(error: Mapping[str, Any]) -> str | None:
    """The ``code`` of one GraphQL error, from the top level or from ``extensions``."""
    code = error.get("code")
    if isinstance(code, str) and code:
        return code
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        code = extensions.get("code")
        if isinstance(code, str) and code:
            return code
    return None


def error_infos(errors: object) -> tuple[BlinkErrorInfo, ...]:
    """Every well-formed error in a GraphQL ``errors`` list, messages redacted and bounded."""
    if not isinstance(errors, Sequence) or isinstance(errors, str | bytes):
        return ()
    infos: list[BlinkErrorInfo] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        message = error.get("message")
        text = redact(message)[:_MAX_MESSAGE] if isinstance(message, str) else "(no message)"
        infos.append(BlinkErrorInfo(message=text, code=error_code(error)))
    return tuple(infos)


def _is_scope_denial(info: BlinkErrorInfo) -> bool:
    return info.code == "NOT_AUTHORIZED" or "not authorized" in info.message.lower()


def is_auth_failure(info: BlinkErrorInfo) -> bool:
    """The error says the key is not valid (HTTP answers and socket frames alike)."""
    return (
        info.code in ("NOT_AUTHENTICATED", "UNAUTHENTICATED")
        or "not authenticated" in info.message.lower()
    )


def raise_for_fatal(
    infos: Sequence[BlinkErrorInfo], *, key_name: str, scope: str, operation: str
) -> None:
    """Raise for errors no retry of the same request can cure: key, scope, rate, balance.

    ``scope`` and ``operation`` say what a scope denial means ("RECEIVE", "create invoices").
    """
    for info in infos:
        if is_auth_failure(info):
            raise KeyRejected(key_name)
        if _is_scope_denial(info):
            raise ScopeDenied(key_name, scope, operation)
        if info.code == "TOO_MANY_REQUEST":
            raise RateLimited(
                f"Blink is limiting how fast we may {operation}: wait and try again",
                retry_after=DEFAULT_RETRY_AFTER,
            )
        if info.code == "INSUFFICIENT_BALANCE":
            raise InsufficientBalance(info.message, info.code)


def raise_for_errors(
    infos: Sequence[BlinkErrorInfo], *, key_name: str, scope: str, operation: str
) -> None:
    """Raise the terminal error for Blink's errors (see raise_for_fatal); return if none."""
    if not infos:
        return
    raise_for_fatal(infos, key_name=key_name, scope=scope, operation=operation)
    first = infos[0]
    if "expired" in first.message.lower():
        raise InvoiceExpired(first.message, first.code)
    raise BlinkRejected(first.message, first.code)


def field(answer: Mapping[str, Any], name: str, operation: str) -> Mapping[str, Any]:
    """``answer[name]`` as an object, or MalformedAnswer naming what was missing."""
    value = answer.get(name)
    if not isinstance(value, Mapping):
        raise MalformedAnswer(
            f"Blink's answer to {operation} lacks '{name}': the API may have changed; "
            "update the terminal"
        )
    return value


def text(answer: Mapping[str, Any], name: str, operation: str) -> str:
    """``answer[name]`` as a non-empty string, or MalformedAnswer."""
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedAnswer(
            f"Blink's answer to {operation} lacks the text '{name}': the API may have changed; "
            "update the terminal"
        )
    return value


def integer(answer: Mapping[str, Any], name: str, operation: str) -> int:
    """``answer[name]`` as an int (not a bool, not a float with a fraction), or MalformedAnswer."""
    value = answer.get(name)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedAnswer(
            f"Blink's answer to {operation} lacks the number '{name}': the API may have "
            "changed; update the terminal"
        )
    return value


def objects(answer: Mapping[str, Any], name: str, operation: str) -> list[Mapping[str, Any]]:
    """``answer[name]`` as a list of objects, or MalformedAnswer naming what was wrong."""
    value = answer.get(name)
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise MalformedAnswer(
            f"Blink's answer to {operation} lacks the list '{name}': the API may have changed; "
            "update the terminal"
        )
    return value
