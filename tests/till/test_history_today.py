"""``history --today`` and ``--csv``: today's sales only, the fiat columns always there, local
times marked with their offset."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from terminal.cli import main
from terminal.money.journal import Journal
from terminal.sales_report import FIAT_FIELDS, FIELDS, since_timestamp
from tests.field.test_operator_verbs import CONFIG, zurich  # noqa: F401 - the fixture
from tests.till.sales import every_state, opened


@pytest.fixture
def config(tmp_path: Path, zurich: None) -> Path:  # noqa: F811 - the fixture
    """A configuration whose journal holds an old sale and, today, a sale in every state."""
    path = tmp_path / "terminal.toml"
    path.write_text(CONFIG)
    journal = Journal.open(tmp_path / "state")
    midnight = since_timestamp("today")
    opened(journal, 90, 31_337, midnight - 3600)  # yesterday evening
    # Today, but never in the future: from midnight, or from an hour ago after 01:00.
    every_state(journal, max(midnight, time.time() - 3600) - 10)
    journal.close()
    return path


def history(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["history", *args]) == 0
    return capsys.readouterr().out


def test_today_lists_only_todays_sales_with_their_totals(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = history(capsys, "--config", str(config), "--today")
    assert "31337" not in out
    assert out.splitlines()[-1] == (
        "total: 9 sales, 14000 sats forwarded, 2600 sats pending (paid, not yet forwarded)"
    )
    assert out == history(capsys, "--config", str(config), "--since", "today")


def test_today_and_since_cannot_be_given_together(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--config", str(config), "--today", "--since", "2024-01-01"])
    assert exit_.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_csv_has_the_fiat_columns_empty_and_local_times_with_their_offset(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = history(capsys, "--config", str(config), "--today", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    header, body = rows[0], rows[1:]
    assert header == [*FIELDS, "fiat_amount", "currency", "rate", "tip_sats"]
    assert tuple(header[-4:]) == FIAT_FIELDS
    assert len(body) == 9  # today's, not yesterday's
    for row in body:
        assert len(row) == len(header)
        record = dict(zip(header, row, strict=True))
        assert [record[f] for f in FIAT_FIELDS] == ["", "", "", ""]
        # Zurich is +01:00 in winter, +02:00 in summer: the offset is written either way.
        assert record["created"].endswith((" +01:00", " +02:00")), record["created"]
    states = {dict(zip(header, row, strict=True))["state"] for row in body}
    assert {"forwarded", "received", "open", "cancelled", "lapsed", "failed", "new"} == states
