"""A draining battery, end to end: warn, stop selling, finish the forwards, then power off.

The real terminal process runs against the sandbox with the simulated battery reading its level
from a file the test rewrites, and the desktop's power-off stand-in (``poweroff = "record"``)
writing the request into a file: the same PowerOff seam that calls logind on a Pi.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.bench.harness import set_power
from terminal.sandbox import SandboxThread
from terminal.shell.power import EXIT_POWERED_OFF
from tests.faults.harness import Harness
from tests.faults.ledger_check import JournalSale, check_exactly_once, read_book
from tests.faults.test_money_safety import FLOAT, PAY, exactly_once, fund_float

AMOUNT = 2100


def stuck_forward(rig: Harness) -> JournalSale:
    """A paid sale whose forward cannot finish yet: Blink answers every pay request 500."""
    rig.sb.faults.fail_next(10**6, "500", operation=PAY)
    sale = rig.open_sale(AMOUNT)
    assert rig.pay(sale) == "SUCCESS"
    rig.wait_for(lambda: rig.state_of(sale.id) == "received", "the payment journaled")
    return sale


@pytest.fixture
def rig(sandbox_thread: SandboxThread, tmp_path: Path) -> Iterator[Harness]:
    """A terminal with a float on BlinkPOS, logging every screen; stopped afterwards."""
    fund_float(sandbox_thread)
    made = Harness(sandbox_thread, tmp_path / "terminal", log_level="debug")
    try:
        yield made
    finally:
        made.close()


def on_battery(rig: Harness, *, grace: float) -> tuple[Path, Path]:
    """Give ``rig`` a file-driven battery and a recorded power-off; (level file, record)."""
    level, record = rig.folder / "battery", rig.folder / "poweroff.log"
    level.write_text("50\n")
    set_power(
        rig.config_path,
        'driver = "simulated"\n'
        f'simulated_level_file = "{level}"\n'
        "poll_seconds = 0.1\n"
        "low_percent = 20\n"
        "critical_percent = 7\n"
        f"shutdown_grace_seconds = {grace}\n"
        'poweroff = "record"\n'
        f'poweroff_record_file = "{record}"\n',
    )
    return level, record


def test_a_draining_battery_finishes_the_forward_then_powers_off(rig: Harness) -> None:
    sb = rig.sb
    level, record = on_battery(rig, grace=600.0)
    assert rig.start()

    level.write_text("15\n")
    rig.wait_for(lambda: "battery low (15 %)" in rig.log_text(), "the low-battery warning")
    rig.wait_for(lambda: "show LowBattery(percent=15)" in rig.log_text(), "its screen")

    sale = stuck_forward(rig)

    level.write_text("5\n")
    rig.wait_for(lambda: "shutting down (Battery nearly empty)" in rig.log_text(), "the shutdown")
    # No new sale: the screen is held at "Shutting down" and keys are not passed on (the
    # link board also tells the flow no sale may start: tests/app/test_board.py).
    rig.wait_for(
        lambda: (
            "show ShuttingDown(reason='Battery nearly empty', detail='Finishing 1 forward"
            in rig.log_text()
        ),
        "the shutdown screen waiting on the forward",
    )
    rig.type("c300\n")
    rig.wait_for(
        lambda: "a key during the shutdown is ignored" in rig.log_text(), "the keys refused"
    )
    assert list(rig.journal()) == [sale.id]
    assert rig.state_of(sale.id) == "received"
    assert not record.exists(), "powered off with a payment still owed to the merchant"

    sb.faults.clear()  # Blink pays again: the forward finishes, then the power-off
    assert rig.wait_dead() == EXIT_POWERED_OFF
    assert record.read_text().startswith("poweroff requested at ")
    assert rig.state_of(sale.id) == "forwarded"
    log = rig.log_text()
    assert log.index("received and forwarded to the merchant") < log.index(
        "power-off requested (record)"
    )
    # Once, to the merchant, with the float untouched (the process has already exited).
    verdict = check_exactly_once(read_book(sb), rig.journal())
    assert verdict.clean, verdict
    assert sb.balance("merchant") == AMOUNT
    assert sb.balance("blinkpos") == FLOAT


def test_with_no_network_it_powers_off_after_the_grace_and_forwards_at_the_next_start(
    rig: Harness,
) -> None:
    sb = rig.sb
    level, record = on_battery(rig, grace=1.0)
    assert rig.start()
    sale = stuck_forward(rig)

    level.write_text("3\n")
    assert rig.wait_dead() == EXIT_POWERED_OFF
    assert record.exists()
    log = rig.log_text()
    assert "1 sale not forwarded after 1 s (no network?)" in log
    assert "No network: 1 payment not yet forwarded" in log  # what the screen said
    assert rig.state_of(sale.id) == "received"

    # The next start, on a charged battery and with Blink back: the journal forwards it.
    sb.faults.clear()
    level.write_text("90 charging\n")
    assert rig.start()
    rig.wait_forwarded(sale.id)
    exactly_once(rig, merchant=AMOUNT)
