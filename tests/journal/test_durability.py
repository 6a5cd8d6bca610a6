"""A write is on disk when the call returns: a child process SIGKILLed right after still kept it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from terminal.money import crashpoints
from terminal.money.journal import Journal
from terminal.money.sale import SaleState
from tests.support.timing import scaled

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys
    from terminal.money import crashpoints as cp
    from terminal.money.journal import Journal
    from terminal.money.sale import InvoiceRef

    # Each write returns once committed; the money path kills itself right after (a crash point).
    journal = Journal.open(sys.argv[1])
    sale = journal.begin_sale(2100, "Table 4", 1000.0)
    cp.crashpoint(cp.AFTER_BEGIN_SALE)
    print("began", sale.id, flush=True)
    journal.record_invoices(
        sale.id,
        InvoiceRef("lnbcpos", "a" * 64, 5000.0),
        InvoiceRef("lnbcmerchant", "b" * 64, 90000.0),
        1001.0,
    )
    cp.crashpoint(cp.AFTER_RECORD_INVOICES)
    print("recorded", flush=True)
    journal.mark_received(sale.id, 1002.0)
    cp.crashpoint(cp.AFTER_MARK_RECEIVED)
    print("paid", flush=True)
    """
)


def run_child(state_dir: Path, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop(crashpoints.ENV_VAR, None)
    if crash_at is not None:
        env[crashpoints.ENV_VAR] = crash_at
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(state_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(30),
        check=False,
    )


def test_a_sale_begun_right_before_a_power_cut_is_kept(tmp_path: Path) -> None:
    child = run_child(tmp_path, crashpoints.AFTER_BEGIN_SALE)
    assert child.returncode == -signal.SIGKILL
    assert "began" not in child.stdout  # killed inside begin_sale, right after its commit
    journal = Journal.open(tmp_path)
    try:
        (sale,) = journal.recent(10)
        assert sale.state is SaleState.NEW
        assert sale.amount_sats == 2100
    finally:
        journal.close()


def test_invoices_recorded_right_before_a_power_cut_are_kept(tmp_path: Path) -> None:
    child = run_child(tmp_path, crashpoints.AFTER_RECORD_INVOICES)
    assert child.returncode == -signal.SIGKILL
    assert "recorded" not in child.stdout
    journal = Journal.open(tmp_path)
    try:
        (sale,) = journal.unsettled_sales()
        assert journal.by_pos_hash("a" * 64) == sale
        assert sale.merchant is not None
        assert sale.merchant.hash == "b" * 64
    finally:
        journal.close()


def test_a_payment_marked_right_before_a_power_cut_is_kept(tmp_path: Path) -> None:
    child = run_child(tmp_path, crashpoints.AFTER_MARK_RECEIVED)
    assert child.returncode == -signal.SIGKILL
    assert "paid" not in child.stdout
    journal = Journal.open(tmp_path)
    try:
        (sale,) = journal.unforwarded_received()
        assert sale.received_at == 1002.0
    finally:
        journal.close()


def test_without_a_crash_point_the_child_runs_to_the_end(tmp_path: Path) -> None:
    child = run_child(tmp_path, None)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split()[-1] == "paid"


def test_a_crash_point_with_a_count_fires_on_that_pass_only(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from terminal.money.crashpoints import crashpoint
        for i in range(1, 4):
            crashpoint("spot")
            print("passed", i, flush=True)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), **{crashpoints.ENV_VAR: "spot:2"})
    child = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(30),
        check=False,
    )
    assert child.returncode == -signal.SIGKILL
    assert child.stdout.splitlines() == ["passed 1"]


def test_crash_points_have_distinct_names() -> None:
    assert len(set(crashpoints.ALL_POINTS)) == len(crashpoints.ALL_POINTS)
