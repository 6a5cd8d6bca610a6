"""The terminal's one error tree.

Every error the terminal raises on purpose is a ``TerminalError``. Library errors (httpx,
websockets, OSError, sqlite3) are translated at the boundary with ``raise ... from`` into one of
these, with a message that says what to do. No message ever contains a key: build messages from
the key's *name* ("the BlinkPOS key"), never its value, and pass anything that might hold one
through :func:`terminal.secret.redact`.

    TerminalError
    ├── ConfigError                 the configuration is wrong: names the setting and the fix
    │   └── SecretFileError         a key file is missing, empty or readable by others
    ├── BlinkError                  talking to Blink went wrong
    │   ├── BlinkUnreachable        transport failure, timeout, 5xx: retry later       (retryable)
    │   │   └── RateLimited         429 / TOO_MANY_REQUEST; carries retry_after        (retryable)
    │   ├── KeyRejected             401, or "Not Authenticated" on the socket: which key (fatal)
    │   ├── ScopeDenied             the key lacks a scope: which key, which scope      (fatal)
    │   ├── BlinkRejected           a business error inside a payload: code + message
    │   │   ├── InsufficientBalance INSUFFICIENT_BALANCE
    │   │   └── InvoiceExpired      the invoice expired before it could be paid
    │   ├── RateUnavailable         no fresh exchange rate to price a sale in   (retryable)
    │   └── MalformedAnswer         the peer broke the protocol (bad JSON, missing fields)
    │       └── AnswerTooLarge      an answer beyond the size cap (read no further)
    ├── PayoutGuardError            refused to pay an invoice that is not exactly the sale's
    │   └── OverMaximum             a sale priced above the terminal's maximum
    ├── JournalError                the sale journal cannot be read or written
    ├── IllegalTransition           *we* broke the state machine: event not allowed in state
    └── HardwareError               a display, keypad or GPIO line cannot be opened
"""

from __future__ import annotations


class TerminalError(Exception):
    """Base of every error the terminal raises on purpose."""


class ConfigError(TerminalError):
    """The configuration is wrong. ``setting`` names it; the message says how to fix it."""

    def __init__(self, setting: str, problem: str, fix: str = "") -> None:
        self.setting = setting
        self.problem = problem
        self.fix = fix
        text = f"{setting}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class SecretFileError(ConfigError):
    """A key file is missing, empty, or readable by group or others."""


class BlinkError(TerminalError):
    """Talking to Blink went wrong."""

    retryable: bool = False


class BlinkUnreachable(BlinkError):
    """Blink could not be reached or answered with a server error; try again later."""

    retryable = True


class RateLimited(BlinkUnreachable):
    """Blink asked us to slow down (HTTP 429 or TOO_MANY_REQUEST)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class KeyRejected(BlinkError):
    """A key was refused (HTTP 401, or an unauthenticated socket). ``key_name`` says which."""

    def __init__(self, key_name: str, message: str | None = None) -> None:
        self.key_name = key_name
        super().__init__(
            message
            or f"Blink rejected the {key_name} key: create a new key in the Blink dashboard "
            "and replace the key file"
        )


class ScopeDenied(BlinkError):
    """A key lacks the scope an operation needs."""

    def __init__(self, key_name: str, scope: str, operation: str) -> None:
        self.key_name = key_name
        self.scope = scope
        self.operation = operation
        super().__init__(
            f"the {key_name} key may not {operation}: it needs the {scope} scope; "
            "create a key with that scope in the Blink dashboard"
        )


class BlinkRejected(BlinkError):
    """Blink refused a request with a business error (inside the payload)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        self.code = code
        self.blink_message = message
        super().__init__(f"Blink refused: {message}" + (f" [{code}]" if code else ""))


class InsufficientBalance(BlinkRejected):
    """The paying wallet does not hold enough to pay."""


class InvoiceExpired(BlinkRejected):
    """The invoice expired before it could be paid."""


class RateUnavailable(BlinkError):
    """No exchange rate fresh enough to price a sale in the configured currency (retryable)."""

    retryable = True


class MalformedAnswer(BlinkError):
    """Blink's answer did not follow the protocol (bad JSON, missing fields, wrong types)."""

    retryable = True


class AnswerTooLarge(MalformedAnswer):
    """Blink's answer exceeded the size cap; the rest of it was not read."""


class PayoutGuardError(TerminalError):
    """Refused to pay an invoice that does not match the sale exactly."""


class OverMaximum(PayoutGuardError):
    """A sale priced above the terminal's maximum (in sats, at Blink's rate)."""


class JournalError(TerminalError):
    """The sale journal cannot be opened, read or written."""


class IllegalTransition(TerminalError):
    """An event arrived that the payment state machine does not allow in its current state."""

    def __init__(self, state: str, event: str) -> None:
        self.state = state
        self.event = event
        super().__init__(f"event {event} is not allowed in state {state}")


class HardwareError(TerminalError):
    """A display, keypad or GPIO line cannot be opened or driven."""
