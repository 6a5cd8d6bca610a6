"""A sale typed in a currency, with a tip: priced at Blink's rate, locked, forwarded exactly once.

In-process against the sandbox (its price service, a tip recipient's account), like a café that
prices a coffee at 3.50 EUR and lets the customer add 10 % for the staff.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from terminal.keys import Key
from terminal.links import LinkState
from terminal.money.pricing import to_sats
from terminal.money.sale import PayoutRole, SaleState
from terminal.sandbox import Sandbox
from terminal.screens.model import Creating, Error, Idle, ShowInvoice, Success, TipChoice
from tests.money.rig import Rig, terminal_config

# 95,000 EUR a bitcoin: 0.095 euro cents a sat, as Blink gives it (base / 10**offset).
RATE = (95, 3)
PRICE = Decimal(95) / 10**3


def euro_config(sandbox: Sandbox, tmp_path: Path, **tips: object):  # type: ignore[no-untyped-def]
    sections: dict[str, dict[str, object]] = {"terminal": {"currency": "EUR"}}
    if tips:
        sections["tips"] = {"enabled": True, **tips}
    return terminal_config(sandbox, tmp_path, **sections)


async def test_a_sale_typed_in_euros_is_priced_at_blinks_rate_and_locked(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.prices.set_sat_price("EUR", *RATE)
    async with Rig(sandbox, tmp_path, euro_config(sandbox, tmp_path)) as rig:
        await rig.screen(Idle)
        rig.press(Key.D3, Key.D5, Key.D0, Key.OK)  # 3 5 0: 3.50 EUR
        assert (await rig.screen(Creating)).label == "3.50 EUR"
        qr = await rig.screen(ShowInvoice)
        sats = to_sats(350, PRICE)
        assert (qr.amount_sats, qr.label) == (sats, "3.50 EUR")
        sandbox.prices.set_sat_price("EUR", 190, 3)  # the price moves after the QR: no matter
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        assert sale.state is SaleState.FORWARDED
        assert sale.fiat is not None
        assert (sale.fiat.currency, sale.fiat.minor, Decimal(sale.fiat.rate)) == ("EUR", 350, PRICE)
    assert sandbox.balance("merchant") == sats


async def test_with_no_fresh_rate_no_sale_starts_and_the_screen_says_why(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.prices.set_stale(True)  # Blink's price service has stopped ...
    sandbox.clock.advance(120)  # ... two minutes ago, by Blink's own clock
    async with Rig(sandbox, tmp_path, euro_config(sandbox, tmp_path)) as rig:
        await rig.link(LinkState.UP)
        rig.press(Key.D3, Key.D5, Key.D0, Key.OK)
        error = await rig.screen(Error)
        assert error.title == "No exchange rate"
        assert "EUR" in error.detail
        assert rig.sales() == []  # nothing journaled, nothing shown, never an old rate
        assert not any(isinstance(s, ShowInvoice) for s in rig.screens)
        sandbox.prices.set_stale(False)
        rig.press(Key.OK)  # the rate is back: OK tries again
        await rig.screen(ShowInvoice)


async def test_a_tip_for_the_staff_is_a_second_payout_each_paid_exactly_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.prices.set_sat_price("EUR", *RATE)
    config = euro_config(sandbox, tmp_path, recipient="staff_tips")
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        rig.press(Key.D3, Key.D5, Key.D0, Key.OK)
        choice = await rig.screen(TipChoice)
        assert choice.options == ("none", "10%", "15%", "20%", "other")
        rig.press(Key.D2)  # 10 %: 0.35 EUR
        qr = await rig.screen(ShowInvoice)
        total, tip = to_sats(385, PRICE), to_sats(35, PRICE)
        assert (qr.amount_sats, qr.label) == (total, "3.85 EUR")
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        assert (sale.tip_sats, sale.state) == (tip, SaleState.FORWARDED)
        assert [p.role for p in sale.payouts()] == [PayoutRole.MERCHANT, PayoutRole.TIP]
    assert sandbox.balance("merchant") == total - tip
    assert sandbox.balance("staff_tips") == tip
    assert sandbox.balance("blinkpos") == 0


async def test_a_tip_typed_by_hand_without_a_recipient_goes_to_the_merchant(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = terminal_config(sandbox, tmp_path, tips={"enabled": True})
    async with Rig(sandbox, tmp_path, config) as rig:
        await rig.screen(Idle)
        rig.type_amount(2000)
        await rig.screen(TipChoice)
        rig.press(Key.D5)  # "other"
        rig.press(Key.D1, Key.D5, Key.D0, Key.OK)  # 150 sats
        qr = await rig.screen(ShowInvoice)
        assert qr.amount_sats == 2150
        assert await sandbox.pay(qr.payment_request) == "SUCCESS"
        await rig.screen(Success)
        (sale,) = rig.sales()
        assert (sale.tip_sats, sale.tip_wallet) == (150, None)
    assert sandbox.balance("merchant") == 2150
