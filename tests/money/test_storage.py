"""A full disk under the journal: no sale starts, the merchant reads why, nothing is lost.

The state directory is a real, tiny tmpfs, filled up while the terminal runs, so SQLite meets a
real ENOSPC. Mounting needs root (CI runs as root); elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.sandbox import Sandbox
from terminal.screens.model import Error, Idle, ShowInvoice
from tests.money.rig import Rig, terminal_config


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "state"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs these as root)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Write until the file system says it is full."""
    with (disk / "filler").open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()


async def test_a_full_disk_refuses_the_sale_and_says_why(
    sandbox: Sandbox, tmp_path: Path, small_disk: Path
) -> None:
    config = terminal_config(sandbox, tmp_path, terminal={"state_dir": str(small_disk)})
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        fill(small_disk)
        rig.type_amount(2100)
        error = await rig.screen(Error)
        assert error.title == "Storage error"
        assert "disk is full" in error.detail
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)
        # Space again: the next sale works, and the refused one never became a sale.
        (small_disk / "filler").unlink()
        rig.type_amount(2100)
        await rig.screen(ShowInvoice)


async def test_a_payment_that_cannot_be_journaled_stops_the_terminal_saying_why(
    sandbox: Sandbox,
    tmp_path: Path,
    small_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = terminal_config(sandbox, tmp_path, terminal={"state_dir": str(small_disk)})
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        rig.type_amount(2100)
        qr = await rig.screen(ShowInvoice)
        fill(small_disk)
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        # Better to stop (systemd restarts it; the payment is still Blink's to report) than to
        # run on with a payment the journal could not keep.
        assert await rig.exit_code() == 1
    stops = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stopping")]
    assert any("disk is full" in line for line in stops), stops
    (small_disk / "filler").unlink()
    async with Rig(sandbox, tmp_path, config) as rig:  # restarted with room: forwarded
        await rig.wait_for(lambda: rig.sales()[0].state.value == "forwarded", "the forward")
