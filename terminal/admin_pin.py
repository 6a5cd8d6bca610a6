"""The admin PIN that guards the till menu: a slow salted hash, and a guard against guessing.

The PIN itself never reaches a file, a log line, a screen or an exception text: provisioning
stores only ``scrypt$N$r$p$SALT$KEY`` (made by ``blink-terminal hash-pin``), in a credential file
beside the keys. That file is a secret like a key: a PIN has few digits, so anybody holding its
hash can try every PIN offline in minutes, however slow the hash. The hash only makes sure the
PIN is not written down in clear on the unit.

Wrong tries are rate-limited by :class:`PinGuard`: after :data:`FREE_TRIES` wrong PINs in a row,
each further wrong PIN locks the guard for twice as long as the one before (1 s, 2 s, 4 s, ...
up to :data:`MAX_WAIT_SECONDS`), on the monotonic clock. A try while locked is refused without
being checked, so it tells a guesser nothing. The count lives only as long as the process: see
``PinGuard`` for why that is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from terminal.errors import ConfigError

log = logging.getLogger(__name__)

SCHEME = "scrypt"
PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
PIN_RULE = "4 to 12 digits (the keypad types only digits)"
# scrypt's cost: 16 MiB and about 50 ms on a desktop core, a few hundred ms on a Pi Zero 2 W.
# It runs on a worker thread, never on the event loop.
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Bounds a pin_file is held to: a hash must not ask a Pi Zero for more memory than it can spare.
_N_RANGE = (2**10, 2**16)
_R_RANGE = (1, 16)
_P_RANGE = (1, 4)

FREE_TRIES = 2  # wrong PINs in a row before the first wait: a typo is not an attack
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 900.0


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be an admin PIN, or None if it can."""
    if not PIN_PATTERN.match(pin):
        return f"an admin PIN is {PIN_RULE}"
    return None


@dataclass(frozen=True)
class PinHash:
    """A salted scrypt hash of the admin PIN, as ``pin_file`` holds it."""

    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    key: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str, setting: str) -> PinHash:
        """Read ``scrypt$N$r$p$SALT$KEY``; a ConfigError naming ``setting`` if it is not one."""
        fix = "make it with: blink-terminal hash-pin"
        parts = text.strip().split("$")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ConfigError(setting, "does not hold an admin PIN hash (scrypt$N$r$p$...)", fix)
        try:
            n, r, p = (int(v) for v in parts[1:4])
            salt = base64.b64decode(parts[4], validate=True)
            key = base64.b64decode(parts[5], validate=True)
        except (ValueError, binascii.Error):
            raise ConfigError(setting, "holds a damaged admin PIN hash", fix) from None
        for name, value, (low, high) in (
            ("N", n, _N_RANGE),
            ("r", r, _R_RANGE),
            ("p", p, _P_RANGE),
        ):
            if not low <= value <= high:
                raise ConfigError(
                    setting, f"the hash's scrypt {name} must be {low}..{high}, not {value}", fix
                )
        if n & (n - 1):
            raise ConfigError(setting, f"the hash's scrypt N must be a power of 2, not {n}", fix)
        if len(salt) < 8 or len(key) < 16:
            raise ConfigError(setting, "the hash's salt or key is too short", fix)
        return cls(n, r, p, salt, key)

    def text(self) -> str:
        """The line ``pin_file`` holds."""
        salt = base64.b64encode(self.salt).decode("ascii")
        key = base64.b64encode(self.key).decode("ascii")
        return f"{SCHEME}${self.n}${self.r}${self.p}${salt}${key}"

    def matches(self, pin: str) -> bool:
        """True if ``pin`` is the PIN this hash was made from (slow: call off the event loop)."""
        derived = _scrypt(pin, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(derived, self.key)


def hash_pin(
    pin: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P, salt: bytes = b""
) -> PinHash:
    """A fresh salted hash of ``pin``; ValueError (not naming the PIN) if it is not a PIN."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = salt or secrets.token_bytes(SALT_BYTES)
    return PinHash(n, r, p, salt, _scrypt(pin, salt, n, r, p, KEY_BYTES))


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # OpenSSL's default limit is 32 MiB; allow what these parameters need, plus a margin.
    need = 128 * r * (n + p + 2) + (1 << 20)
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=need)


def wait_after(failures: int) -> float:
    """Seconds the guard stays locked after ``failures`` wrong PINs in a row."""
    if failures < FREE_TRIES:
        return 0.0
    return min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2.0 ** (failures - FREE_TRIES))


@dataclass(frozen=True)
class PinVerdict:
    """The guard's answer to one try.

    ``checked`` is False when the try was refused unchecked because the guard is locked;
    ``retry_in`` is how long until the next try will be checked (0: at once).
    """

    accepted: bool
    checked: bool
    retry_in: float = 0.0


class PinGuard:
    """Checks PINs against the hash, with a growing wait after wrong ones. Thread-safe.

    The count of wrong tries is kept in memory only, on the monotonic clock, and a restart
    forgets it. That is on purpose: the PIN guards the till's figures and two harmless actions
    (retry forwards, reprint), never the merchant's destination or the keys, which no key
    sequence can change. Somebody who can restart the unit (pull its power) holds it, and can
    read the journal off its SD card without any PIN; a count on disk would cost a write per
    wrong try and protect nothing more. A restart also costs a guesser a boot (tens of seconds
    on a Pi), so it is no faster than waiting.
    """

    def __init__(self, pin_hash: PinHash, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._hash = pin_hash
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._locked_until = 0.0

    @property
    def failures(self) -> int:
        """Wrong PINs in a row so far."""
        return self._failures

    def check(self, pin: str) -> PinVerdict:
        """Check ``pin`` unless locked; slow (the hash), so call it on a worker thread."""
        # One try at a time: two tries at once must not both slip in before the wait begins.
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                return PinVerdict(accepted=False, checked=False, retry_in=self._locked_until - now)
            if pin_problem(pin) is None and self._hash.matches(pin):
                if self._failures:
                    log.info("admin PIN accepted after %d wrong tries", self._failures)
                self._failures = 0
                return PinVerdict(accepted=True, checked=True)
            self._failures += 1
            wait = wait_after(self._failures)
            self._locked_until = self._clock() + wait
            log.warning(
                "admin PIN refused (%d wrong in a row; next try in %.0f s)", self._failures, wait
            )
            return PinVerdict(accepted=False, checked=True, retry_in=wait)
