"""The admin PIN: its hash, the guard's growing wait on the monotonic clock, the hash-pin verb.

Every PIN here is made up by the test itself; none is a real one.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.admin_pin import (
    FREE_TRIES,
    MAX_WAIT_SECONDS,
    PinGuard,
    PinHash,
    hash_pin,
    wait_after,
)
from terminal.errors import ConfigError
from tests.support.timing import scaled

PIN = "482193"
CHEAP = 2**10  # the smallest N a pin_file may use: fast tests, same code


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pin_hash() -> PinHash:
    return hash_pin(PIN, n=CHEAP)


def test_a_hash_matches_its_pin_and_no_other(pin_hash: PinHash) -> None:
    assert pin_hash.matches(PIN)
    assert not pin_hash.matches("482194")
    assert not pin_hash.matches(PIN + "0")


def test_the_hash_line_reads_back_the_same_and_never_holds_the_pin(pin_hash: PinHash) -> None:
    line = pin_hash.text()
    assert line.startswith("scrypt$1024$8$1$")
    assert PIN not in line
    again = PinHash.parse(line, "admin.pin_file")
    assert again == pin_hash
    assert again.matches(PIN)


def test_two_hashes_of_one_pin_differ_by_their_salt() -> None:
    first, second = hash_pin(PIN, n=CHEAP), hash_pin(PIN, n=CHEAP)
    assert first.salt != second.salt
    assert first.key != second.key


def test_the_repr_shows_neither_salt_nor_key(pin_hash: PinHash) -> None:
    text = repr(pin_hash)
    assert pin_hash.text().split("$")[5] not in text
    assert "salt" not in text


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "", "12 34"])
def test_only_4_to_12_digits_make_a_pin(pin: str) -> None:
    with pytest.raises(ValueError, match="4 to 12 digits") as caught:
        hash_pin(pin, n=CHEAP)
    assert pin not in str(caught.value) or pin == ""


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1234", "does not hold an admin PIN hash"),
        ("bcrypt$1$2$3$4$5", "does not hold an admin PIN hash"),
        ("scrypt$x$8$1$AAAA$AAAA", "damaged"),
        ("scrypt$1024$8$1$!!!$AAAA", "damaged"),
        ("scrypt$3000$8$1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA==", "power of 2"),
        ("scrypt$1048576$8$1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA==", "N must be 1024..65536"),
        ("scrypt$1024$64$1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA==", "r must be 1..16"),
        ("scrypt$1024$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==", "too short"),
    ],
)
def test_a_bad_hash_line_is_refused_naming_the_setting(line: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        PinHash.parse(line, "admin.pin_file")
    assert caught.value.setting == "admin.pin_file"
    assert "hash-pin" in str(caught.value)


def test_the_wait_grows_after_the_free_tries_and_is_capped() -> None:
    waits = [wait_after(n) for n in range(1, 20)]
    assert waits[: FREE_TRIES - 1] == [0.0] * (FREE_TRIES - 1)
    growing = waits[FREE_TRIES - 1 :]
    assert growing[0] > 0
    assert all(b == min(2 * a, MAX_WAIT_SECONDS) for a, b in itertools.pairwise(growing))
    assert waits[-1] == MAX_WAIT_SECONDS


def test_the_right_pin_is_accepted(pin_hash: PinHash) -> None:
    verdict = PinGuard(pin_hash, clock=FakeMonotonic()).check(PIN)
    assert (verdict.accepted, verdict.checked, verdict.retry_in) == (True, True, 0.0)


def test_wrong_pins_lock_the_guard_for_longer_each_time(pin_hash: PinHash) -> None:
    clock = FakeMonotonic()
    guard = PinGuard(pin_hash, clock=clock)
    waits = []
    for _ in range(FREE_TRIES + 3):
        verdict = guard.check("000000")
        assert (verdict.accepted, verdict.checked) == (False, True)
        waits.append(verdict.retry_in)
        clock.now += verdict.retry_in  # the guesser waits exactly as long as told
    assert waits[: FREE_TRIES - 1] == [0.0] * (FREE_TRIES - 1)
    assert waits[FREE_TRIES - 1 :] == [1.0, 2.0, 4.0, 8.0]
    assert guard.failures == FREE_TRIES + 3


def test_a_try_while_locked_is_refused_unchecked_even_with_the_right_pin(
    pin_hash: PinHash,
) -> None:
    clock = FakeMonotonic()
    guard = PinGuard(pin_hash, clock=clock)
    for _ in range(FREE_TRIES + 1):
        clock.now += guard.check("000000").retry_in
    last = guard.check("000000")  # the fourth wrong PIN in a row
    assert (last.checked, last.retry_in) == (True, 4.0)
    clock.now += 3.5
    verdict = guard.check(PIN)
    assert (verdict.accepted, verdict.checked) == (False, False)
    assert verdict.retry_in == pytest.approx(0.5)
    assert guard.failures == FREE_TRIES + 2  # an unchecked try counts for nothing
    clock.now += 0.5
    assert guard.check(PIN).accepted
    assert guard.failures == 0  # the right PIN starts the count afresh
    assert guard.check("000000").retry_in == wait_after(1)


def test_the_pin_never_reaches_the_log(pin_hash: PinHash, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    guard = PinGuard(pin_hash, clock=FakeMonotonic())
    guard.check("918273")
    guard.check(PIN)
    assert "refused" in caplog.text
    assert "918273" not in caplog.text
    assert PIN not in caplog.text


def run_hash_pin(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal", "hash-pin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )


def test_hash_pin_prints_a_hash_of_the_piped_pin_and_never_the_pin() -> None:
    done = run_hash_pin(PIN + "\n")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert PinHash.parse(line, "admin.pin_file").matches(PIN)
    assert PIN not in done.stdout + done.stderr


def test_hash_pin_refuses_a_pin_that_is_not_digits_without_repeating_it() -> None:
    done = run_hash_pin("12ab34\n")
    assert done.returncode == 2
    assert "4 to 12 digits" in done.stderr
    assert "12ab34" not in done.stdout + done.stderr
    assert done.stdout == ""


def test_hash_pin_writes_an_owner_only_file_and_never_overwrites_one(tmp_path: Path) -> None:
    target = tmp_path / "admin-pin"
    done = run_hash_pin(PIN + "\n", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert PinHash.parse(target.read_text(), "admin.pin_file").matches(PIN)
    before = target.read_text()
    again = run_hash_pin("111111\n", "--output", str(target))
    assert again.returncode == 1
    assert "exists" in again.stderr
    assert target.read_text() == before
