"""The power desk in a whole in-process terminal: the shutdown button, a charger calling off."""

from __future__ import annotations

import asyncio
from pathlib import Path

from terminal.keys import Key
from terminal.links import LinkState
from terminal.sandbox import Sandbox
from terminal.screens.model import AmountEntry, Idle, Paid, ShowInvoice, ShuttingDown
from terminal.shell.power import EXIT_POWERED_OFF
from tests.money.rig import Rig, terminal_config

PAY = "lnInvoicePaymentSend"


async def test_holding_the_shutdown_button_powers_off(sandbox: Sandbox, tmp_path: Path) -> None:
    record = tmp_path / "poweroff.log"
    power = {
        "shutdown_button": 23,
        "shutdown_hold_seconds": 0.5,
        "poweroff": "record",
        "poweroff_record_file": str(record),
    }
    config = terminal_config(sandbox, tmp_path, power=power)
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        pin = rig.peripherals._pin_factory.pin(23)
        await asyncio.to_thread(pin.drive_low)  # pressed, and held
        final = await rig.screen(ShuttingDown, lambda s: not s.waiting)
        assert final.reason == "Shutdown button held"
        assert final.detail == "Every payment has reached the merchant."
        assert await rig.exit_code() == EXIT_POWERED_OFF
        assert record.read_text().startswith("poweroff requested at ")
        assert not isinstance(rig.screens[-1], Idle)  # "Shutting down" stays up to the end


async def test_a_charger_calls_a_battery_shutdown_off(sandbox: Sandbox, tmp_path: Path) -> None:
    level, record = tmp_path / "battery", tmp_path / "poweroff.log"
    level.write_text("50\n")
    power = {
        "driver": "simulated",
        "simulated_level_file": str(level),
        "poll_seconds": 0.1,
        "shutdown_grace_seconds": 600.0,
        "poweroff": "record",
        "poweroff_record_file": str(record),
    }
    config = terminal_config(sandbox, tmp_path, power=power)
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        # A paid sale Blink will not let the terminal forward yet: the shutdown must wait on it.
        sandbox.faults.fail_next(10**6, "500", operation=PAY)
        rig.type_amount(2100)
        qr = await rig.screen(ShowInvoice)
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Paid)

        level.write_text("4\n")
        await rig.screen(ShuttingDown, lambda s: s.waiting)
        rig.press(Key.from_digit(7))  # ignored: the screen is held at "Shutting down"

        level.write_text("4 charging\n")  # the stall owner plugs the charger in
        await rig.link(LinkState.UP)  # sales may start again
        await rig.screen(Paid)  # the flow's own screen is back
        rig.press(Key.OK)  # leave the sale's screen, then type: keys act again
        rig.press(Key.from_digit(5))
        entry = await rig.screen(AmountEntry)
        assert entry.digits == "5"  # the 7 pressed during the shutdown never reached the flow
        assert not record.exists()
