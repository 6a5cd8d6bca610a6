"""Crash points, the state directory's lock, the journal's binding and its read-only opening."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.errors import JournalError
from terminal.money import binding, crashpoints
from terminal.money.journal import Journal
from terminal.money.lock import StateLock


def test_a_point_not_named_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crashpoints.ENV_VAR, raising=False)
    crashpoints.crashpoint(crashpoints.BEFORE_PAY)  # still alive
    monkeypatch.setenv(crashpoints.ENV_VAR, crashpoints.AFTER_PAY_SENT)
    crashpoints.crashpoint(crashpoints.BEFORE_PAY)  # another point: still alive


@pytest.mark.parametrize("spec", ["before_replace:1000000", " before_replace:1000000 "])
def test_passes_before_the_named_one_go_by(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    monkeypatch.setenv(crashpoints.ENV_VAR, spec)
    before = crashpoints._passes.get(crashpoints.BEFORE_REPLACE, 0)
    for _ in range(3):
        crashpoints.crashpoint(crashpoints.BEFORE_REPLACE)  # counted, and survived
    assert crashpoints._passes[crashpoints.BEFORE_REPLACE] == before + 3


def test_a_second_holder_of_the_state_directory_is_refused_by_name(tmp_path: Path) -> None:
    first = StateLock.acquire(tmp_path)
    try:
        with pytest.raises(JournalError, match=rf"another terminal \(pid {os.getpid()}\)"):
            StateLock.acquire(tmp_path)
    finally:
        first.release()
    StateLock.acquire(tmp_path).release()  # free again once the first let go


def test_a_journal_knows_its_device_and_its_blinkpos_wallet(tmp_path: Path) -> None:
    machine = tmp_path / "machine-id"
    machine.write_text("abc\n")
    here = binding.this_device(machine)
    assert here == binding.this_device(machine)  # stable
    assert "abc" not in here  # the machine id itself stays private
    assert binding.this_device(tmp_path / "missing") != here  # falls back to the host name
    assert binding.foreign_device(None, here) is None
    assert binding.foreign_device(here, here) is None
    assert "another device" in (binding.foreign_device("elsewhere", here) or "")
    assert binding.foreign_wallet("", "w1") is None  # cleared by adopt
    assert "another BlinkPOS wallet" in (binding.foreign_wallet("w0", "w1") or "")


def test_a_read_only_journal_never_writes(tmp_path: Path) -> None:
    Journal.open(tmp_path).close()
    reader = Journal.open_existing(tmp_path)
    try:
        assert reader.recent(5) == []
        with pytest.raises(JournalError):
            reader.begin_sale(100, "memo", 1.0)
    finally:
        reader.close()
    with pytest.raises(JournalError):
        Journal.open_existing(tmp_path / "nowhere")
