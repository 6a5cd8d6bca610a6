"""The real terminal process, typed in euros with a tip for the staff, against the sandbox.

The QR read off the captured frame must be an invoice for the sats at the rate the sandbox
published at that moment; the journal holds that rate; a rate that moves after the QR changes
nothing; a stale rate refuses the next sale with a clear screen and journals nothing.
"""

from __future__ import annotations

import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from terminal.money.journal import Journal
from terminal.money.pricing import to_sats
from terminal.sandbox import SandboxThread
from terminal.sandbox.server import TIP_RECIPIENT
from tests.support.qr import read_qr
from tests.support.terminal_process import TerminalProcess, poll_until, write_config


def control(sb: SandboxThread, route: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or POST ``body`` to) the sandbox's control endpoint, as a test driver would."""
    url = f"{sb.control_url}/{route}"
    answer = httpx.post(url, json=body) if body is not None else httpx.get(url)
    answer.raise_for_status()
    return answer.json()


def eur_price(sb: SandboxThread) -> Decimal:
    """The price of one sat in euro cents, as the sandbox publishes it now."""
    shown = control(sb, "prices")["currencies"]["EUR"]["btcSatPrice"]
    return Decimal(shown["base"]) / 10 ** shown["offset"]


def test_a_sale_typed_in_euros_with_a_tip_is_paid_at_the_locked_rate(
    tmp_path: Path, sandbox_thread: SandboxThread
) -> None:
    sb = sandbox_thread
    control(sb, "prices", {"currency": "EUR", "fiatPerBtc": 95_000.0})
    # Blink's price service has stopped, two minutes ago by Blink's own clock.
    control(sb, "prices", {"stalePrices": True})
    control(sb, "clock", {"advance": 120})
    config = write_config(tmp_path, sb, currency="EUR", tips_to=TIP_RECIPIENT, log_level="debug")
    with TerminalProcess(config) as terminal:
        assert terminal.wait_notice("READY=1")
        terminal.type("350\n2")  # 3 5 0 is 3.50 EUR; OK; 2 is the first preset, 10 %
        terminal.wait_until(lambda: "No exchange rate" in terminal.stderr, "the refusal")
        assert "ShowInvoice(" not in terminal.stderr  # no QR at an old rate

        control(sb, "prices", {"stalePrices": False})  # the rate is back: OK tries again
        terminal.type("\n")
        _, frame = terminal.wait_for_frame(lambda image: read_qr(image) is not None)
        price = eur_price(sb)
        total, tip = to_sats(350 + 35, price), to_sats(35, price)
        text = read_qr(frame)
        assert text is not None
        invoice = sb.ledger.invoice_by_request(text.removeprefix("LIGHTNING:").lower())
        assert invoice is not None, "the QR is not an invoice the sandbox made"
        assert invoice.amount == total
        assert "label='3.85 EUR'" in terminal.stderr  # the QR screen shows the euros too
        # The price doubles after the QR: the sale was locked at the old one.
        control(sb, "prices", {"currency": "EUR", "fiatPerBtc": 190_000.0})
        assert sb.pay(invoice.payment_request) == "SUCCESS"
        poll_until(lambda: sb.balance(TIP_RECIPIENT) == tip, 30, "the tip to reach the staff")
        poll_until(lambda: sb.balance("merchant") == total - tip, 30, "the merchant's part")
        assert terminal.stop(signal.SIGTERM) == 0

    journal = Journal.open_existing(config.parent / "state")
    (sale,) = journal.since(0)  # the refused attempt journaled nothing
    journal.close()
    assert sale.fiat is not None
    assert (sale.fiat.currency, sale.fiat.minor, sale.fiat.tip_minor) == ("EUR", 350, 35)
    assert Decimal(sale.fiat.rate) == price
    assert (sale.amount_sats, sale.tip_sats, sale.state.value) == (total, tip, "forwarded")
    assert sb.balance("merchant") + sb.balance(TIP_RECIPIENT) == total  # each paid once
