"""A sale typed in a currency with a tip: the till, ``history --csv`` and the receipt show the
amount the customer was asked, the locked rate and the tip, read from the journal."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from pathlib import Path

import pytest

from terminal.cli import main
from terminal.money.journal import Journal
from terminal.money.sale import FiatAmount as Locked
from terminal.money.sale import InvoiceRef, Sale
from terminal.receipts.layout import body, receipt_for
from terminal.till import FiatAmount, fiat_of, tip_of, totals_of
from tests.field.test_operator_verbs import CONFIG, zurich  # noqa: F401 - the fixture

# Blink's price of one sat: 0.0909 cents, so 4.00 EUR (3.50 and a 0.50 tip) is 4,400 sats.
PRICE = "0.0909"


def forwarded(journal: Journal, n: int, at: float, fiat: Locked | None, tip_sats: int) -> Sale:
    """A forwarded sale of 4,400 sats, with ``fiat`` and ``tip_sats`` locked when it began."""
    sale = journal.begin_sale(4_400, "memo", at, tip_sats=tip_sats, fiat=fiat)
    journal.record_invoices(
        sale.id,
        InvoiceRef(f"lnbc{n}", f"{n:064x}", at + 900),
        InvoiceRef(f"lnbcm{n}", f"{n + 500:064x}", at + 86_400),
        at,
    )
    journal.mark_received(sale.id, at + 5)
    journal.mark_forwarded(sale.id, at + 6)
    return journal.sale(sale.id)


def test_a_fiat_sale_reads_back_as_the_amount_asked_at_its_locked_rate(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    sale = forwarded(journal, 1, time.time(), Locked("EUR", 350, 50, PRICE), 550)
    # 100 cents / 0.0909 cents per sat: 1,100.11 sats to the euro, as the merchant reads a rate.
    assert fiat_of(sale) == FiatAmount(Decimal("4.00"), "EUR", Decimal("1100.11"))
    assert tip_of(sale) == 550
    yen = forwarded(journal, 2, time.time(), Locked("JPY", 1_500, 0, "0.15"), 0)
    assert fiat_of(yen) == FiatAmount(Decimal("1500"), "JPY", Decimal("6.67"))
    sats = forwarded(journal, 3, time.time(), None, 0)
    assert fiat_of(sats) is None
    assert tip_of(sats) == 0
    totals = totals_of([sale, yen, sats])
    assert totals.fiat == (("EUR", Decimal("4.00")), ("JPY", Decimal("1500")))
    assert totals.tip_sats == 550
    assert totals.forwarded_sats == 3 * 4_400


def test_the_receipt_shows_the_amount_the_rate_and_the_tip(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    sale = forwarded(journal, 1, time.time(), Locked("EUR", 350, 50, PRICE), 550)
    lines = body(receipt_for(sale, "Corner Café", "2026-12-05 09:00 +01:00"), 32)
    assert any(line.startswith("Amount EUR") and line.endswith("4.00") for line in lines)
    assert any(line.startswith("Rate") and line.endswith("1100.11 sats/EUR") for line in lines)
    assert any(line.startswith("Tip") and line.endswith("550 sats") for line in lines)


def test_history_csv_fills_the_fiat_columns(
    tmp_path: Path,
    zurich: None,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(CONFIG)
    journal = Journal.open(tmp_path / "state")
    forwarded(journal, 1, time.time() - 60, Locked("EUR", 350, 50, PRICE), 550)
    forwarded(journal, 2, time.time() - 30, None, 0)
    journal.close()
    assert main(["history", "--config", str(config), "--today", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    cells = sorted((r["fiat_amount"], r["currency"], r["rate"], r["tip_sats"]) for r in rows)
    assert cells == [("", "", "", ""), ("4.00", "EUR", "1100.11", "550")]
    assert main(["history", "--config", str(config), "--today"]) == 0
    assert "4.00 EUR" in capsys.readouterr().out.splitlines()[-1]
