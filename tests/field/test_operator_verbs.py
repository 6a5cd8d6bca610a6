"""The operator's read-only verbs on a unit: ``history`` and ``pending`` read the journal without
a key and without creating anything; ``check`` fails where ``run`` would on a missing module."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.cli import main
from terminal.money.journal import JOURNAL_FILE, Journal
from terminal.money.sale import InvoiceRef
from terminal.sales_report import EXIT_PENDING
from tests.support.timing import scaled

# The key file does not exist: the read-only verbs must never need it.
CONFIG = """\
[terminal]
state_dir = "state"
[blinkpos]
key_file = "no-such.key"
[merchant]
username = "merchant"
"""
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.fixture
def zurich(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Zurich (UTC+1 in November) for this test."""
    monkeypatch.setenv("TZ", "Europe/Zurich")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def make_config(folder: Path) -> Path:
    config = folder / "terminal.toml"
    config.write_text(CONFIG)
    return config


def sale(journal: Journal, n: int, amount: int, created: float, pos_expires: float) -> str:
    made = journal.begin_sale(amount, "memo", created)
    journal.record_invoices(
        made.id,
        InvoiceRef(f"lnbc{n}", f"{n:064x}", pos_expires),
        InvoiceRef(f"lnbcm{n}", f"{n + 50:064x}", pos_expires + 86400),
        created,
    )
    return made.id


def three_sales(folder: Path) -> tuple[Path, list[str]]:
    """A forwarded sale of 2100, a paid one of 500 and an open one of 99 (long expired)."""
    config = make_config(folder)
    journal = Journal.open(folder / "state")
    ids = [sale(journal, n, amount, NOW + n, NOW + 900) for n, amount in enumerate((2100, 500, 99))]
    journal.mark_received(ids[0], NOW + 10)
    journal.mark_forwarded(ids[0], NOW + 11)
    journal.mark_received(ids[1], NOW + 12)
    journal.close()
    return config, ids


def test_history_shows_local_times_with_their_offset_and_the_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zurich: None
) -> None:
    config, ids = three_sales(tmp_path)
    assert main(["history", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["sale", "created", "amount_sats", "state", "paid", "forwarded"]
    # Newest first; 22:13:22 UTC is 23:13:22 in Zurich in November (UTC+1).
    assert lines[1].startswith(ids[2])
    assert "2023-11-14 23:13:22 +01:00" in lines[1]
    assert lines[-1] == (
        "total: 3 sales, 2100 sats forwarded, 500 sats pending (paid, not yet forwarded)"
    )


def test_history_limit_0_lists_no_sale_but_keeps_the_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = three_sales(tmp_path)
    assert main(["history", "--config", str(config), "--limit", "0"]) == 0
    out = capsys.readouterr().out
    assert not any(sale_id in out for sale_id in ids)
    assert out.splitlines() == [
        "total: 3 sales, 2100 sats forwarded, 500 sats pending (paid, not yet forwarded)"
    ]


def test_history_limit_must_be_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = three_sales(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--config", str(config), "--limit", "-1"])
    assert exit_.value.code == 2
    assert "is not a count" in capsys.readouterr().err


def test_history_since_today_counts_only_todays_sales(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = three_sales(tmp_path)  # all in 2023: before today
    journal = Journal.open(tmp_path / "state")
    today = sale(journal, 7, 4200, time.time(), time.time() + 900)
    journal.close()
    assert main(["history", "--config", str(config), "--since", "today"]) == 0
    out = capsys.readouterr().out
    assert today in out
    assert out.splitlines()[-1].startswith("total: 1 sale, 0 sats forwarded, 0 sats pending")


def test_history_without_a_journal_creates_none_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    assert main(["history", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"no journal at {tmp_path / 'state' / JOURNAL_FILE}" in err
    assert "terminal.state_dir" in err
    assert not (tmp_path / "state").exists()


def test_history_opens_the_journal_read_only(tmp_path: Path) -> None:
    _, ids = three_sales(tmp_path)
    journal = Journal.open_existing(tmp_path / "state")
    try:
        assert journal.sale(ids[0]).amount_sats == 2100
        with pytest.raises(Exception, match="read-only"):
            journal.mark_received(ids[2], NOW + 99)
    finally:
        journal.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run as another user")
def test_root_reads_the_journal_as_its_owner() -> None:
    # The service has stopped and closed its journal: no -wal or -shm file is left. SQLite makes
    # them again even for a read-only reader; made by root, the service could not open them.
    with tempfile.TemporaryDirectory() as folder:  # pytest's tmp_path is closed to others
        Path(folder).chmod(0o755)
        root_reads_as_owner(Path(folder))


def root_reads_as_owner(folder: Path) -> None:
    config, _ = three_sales(folder)
    state = folder / "state"
    assert sorted(p.name for p in state.iterdir()) == [JOURNAL_FILE]
    nobody = 65534
    for path in (state, state / JOURNAL_FILE):
        os.chown(path, nobody, nobody)
    done = subprocess.run(
        [sys.executable, "-m", "terminal", "history", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "total: 3 sales" in done.stdout
    made = {p.name: p.stat().st_uid for p in state.iterdir()}
    assert len(made) > 1  # SQLite did make its side files: the check below means something
    assert set(made.values()) == {nobody}, made


def test_pending_is_0_without_a_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pending", "--config", str(make_config(tmp_path))]) == 0
    assert "nothing pending" in capsys.readouterr().out
    assert not (tmp_path / "state").exists()


def test_pending_names_a_sale_on_screen_and_a_forward_not_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = three_sales(tmp_path)  # paid-not-forwarded ids[1]; ids[2] open but expired
    journal = Journal.open(tmp_path / "state")
    shown = sale(journal, 8, 700, time.time(), time.time() + 600)
    journal.close()
    assert main(["pending", "--config", str(config)]) == EXIT_PENDING
    out = capsys.readouterr().out
    assert f"pending  {ids[1]}  500 sats  paid, not yet forwarded" in out
    assert f"pending  {shown}  700 sats  on screen: invoice open until" in out
    assert ids[2] not in out  # its invoice expired: no QR can still be on screen
    assert "2 pending" in out


def test_pending_is_0_once_every_paid_sale_is_forwarded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = three_sales(tmp_path)
    journal = Journal.open(tmp_path / "state")
    journal.mark_forwarded(ids[1], NOW + 20)
    journal.close()
    assert main(["pending", "--config", str(config)]) == 0
    assert "nothing pending" in capsys.readouterr().out


def test_pending_wait_returns_when_the_forward_lands(tmp_path: Path) -> None:
    config, ids = three_sales(tmp_path)
    waiting = subprocess.Popen(
        [sys.executable, "-m", "terminal", "pending", "--config", str(config), "--wait", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert waiting.stdout is not None
        assert waiting.stdout.readline().startswith("waiting up to 600 s for 1 pending sale")
        journal = Journal.open(tmp_path / "state")  # the forwarder, in another process
        journal.mark_forwarded(ids[1], NOW + 20)
        journal.close()
        out, err = waiting.communicate(timeout=scaled(30))
    finally:
        waiting.kill()
    assert waiting.returncode == 0, err
    assert "nothing pending" in out


def test_pending_wait_gives_up_with_75(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, ids = three_sales(tmp_path)
    assert main(["pending", "--config", str(config), "--wait", "0.2"]) == EXIT_PENDING
    out = capsys.readouterr().out
    assert ids[1] in out
    assert "1 pending after waiting 0.2 s" in out


SPI_PANEL = """
[display]
driver = "ssd1351"
interface = "spi"
[keypad]
driver = "none"
[gpio]
pin_factory = "mock"
"""
# sys.modules[name] = None makes "import name" raise ImportError: an interpreter without the
# pi extra (the unit the issue found: SPI panel configured, spidev and rpi-lgpio missing).
WITHOUT_PI_EXTRA = (
    "import sys; sys.modules['spidev'] = None; sys.modules['RPi'] = None; "
    "from terminal.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


def test_check_fails_where_run_fails_without_the_pi_extra(tmp_path: Path) -> None:
    key = tmp_path / "pos.key"
    key.write_text("blink_" + "k" * 48)
    key.chmod(0o600)
    config = tmp_path / "terminal.toml"
    config.write_text(CONFIG.replace("no-such.key", "pos.key") + SPI_PANEL)

    def verb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", WITHOUT_PI_EXTRA, *args, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=scaled(60),
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        )

    check = verb("check", "--offline")
    run = verb("run")
    assert run.returncode == 5, run.stderr
    assert check.returncode == 5, check.stdout + check.stderr
    assert "FAIL  display.interface: the SPI bus needs spidev, which is missing" in check.stdout
    assert "the panel's D/C and reset lines needs RPi.GPIO, which is missing" in check.stdout
    assert "blink-terminal[pi]" in check.stdout
