"""Crash points: silent unless named, counted per name (the kill itself is tested in a child)."""

from __future__ import annotations

import pytest

from terminal.money import crashpoints


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
