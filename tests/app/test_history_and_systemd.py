"""``history`` reads the journal for the operator; the systemd notify protocol is spoken right."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import socket
from pathlib import Path

import pytest

from terminal import systemd
from terminal.cli import main
from terminal.money.journal import Journal
from terminal.money.sale import InvoiceRef
from tests.support.timing import scaled

CONFIG = """\
[terminal]
state_dir = "state"
[blinkpos]
key_file = "pos.key"
[merchant]
username = "merchant"
"""
NOW = 1_800_000_000.0


def setup_journal(folder: Path) -> tuple[Path, list[str]]:
    (folder / "pos.key").write_text("blink_" + "h" * 48)
    (folder / "pos.key").chmod(0o600)
    config = folder / "terminal.toml"
    config.write_text(CONFIG)
    journal = Journal.open(folder / "state")
    ids = []
    for n, amount in enumerate((2100, 500, 99)):
        sale = journal.begin_sale(amount, "memo", NOW + n)
        journal.record_invoices(
            sale.id,
            InvoiceRef(f"lnbc{n}", f"{n:064x}", NOW + 900),
            InvoiceRef(f"lnbcm{n}", f"{n + 9:064x}", NOW + 86400),
            NOW + n,
        )
        ids.append(sale.id)
    journal.mark_received(ids[0], NOW + 10)
    journal.mark_forwarded(ids[0], NOW + 11)
    journal.mark_received(ids[1], NOW + 12)
    journal.close()
    return config, ids


def test_history_as_csv_lists_every_sale_with_its_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = setup_journal(tmp_path)
    assert main(["history", "--config", str(config), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_id = {row["sale"]: row for row in rows}
    assert set(by_id) == set(ids)
    assert by_id[ids[0]]["state"] == "forwarded"
    assert by_id[ids[0]]["amount_sats"] == "2100"
    assert by_id[ids[0]]["forwarded"] != ""
    assert by_id[ids[1]]["state"] == "received"
    assert by_id[ids[1]]["forwarded"] == ""
    assert by_id[ids[2]]["state"] == "open"


def test_history_as_a_table_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, ids = setup_journal(tmp_path)
    assert main(["history", "--config", str(config), "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["sale", "created", "amount_sats", "state", "paid", "forwarded"]
    assert len(lines) == 4  # the header, the two newest sales and the totals of all three
    assert lines[-1].startswith("total: 3 sales")
    assert ids[0] not in "\n".join(lines)  # the oldest is beyond the limit


def listen(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(scaled(5))
    return sock


def test_notify_sends_one_datagram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with listen(tmp_path) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        assert systemd.notify("READY=1", "STATUS=ready")
        assert sock.recv(100) == b"READY=1\nSTATUS=ready"


def test_notify_is_a_no_op_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False


def test_an_abstract_notify_socket_works(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"blink-terminal-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(scaled(5))
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert systemd.notify("WATCHDOG=1")
        assert sock.recv(100) == b"WATCHDOG=1"


async def test_the_watchdog_pings_from_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with listen(tmp_path) as sock:
        sock.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        monkeypatch.setenv("WATCHDOG_USEC", "100000")  # pings every 50 ms
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
        task = asyncio.create_task(systemd.watchdog(lambda: True))
        loop = asyncio.get_running_loop()
        pings = [await asyncio.wait_for(loop.sock_recv(sock, 100), scaled(5)) for _ in range(3)]
        task.cancel()
        assert pings == [b"WATCHDOG=1"] * 3


def test_no_watchdog_for_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert systemd.watchdog_interval() is None
