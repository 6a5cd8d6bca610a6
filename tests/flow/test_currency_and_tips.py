"""The flow in a currency, with tips: digits fill from the right, a tip is chosen by its key."""

from __future__ import annotations

import dataclasses

from terminal.flow import CreateInvoices, FlowState, Show
from terminal.screens.model import AmountEntry, Creating, ShowInvoice, TipChoice
from tests.flow.drive import CONFIG, TIPS, created, one, ready

EUROS = dataclasses.replace(CONFIG, currency="EUR", fraction_digits=2)


def test_digits_fill_from_the_right_in_the_currencys_minor_unit() -> None:
    driver = ready(EUROS)
    effects = driver.press("350")
    assert effects[-1] == Show(AmountEntry("350", "EUR", "", 2))
    effects = driver.press("o")
    assert one(effects, CreateInvoices) == CreateInvoices(350, 2 - 1)
    assert one(effects, Show).screen == Creating(0, "3.50 EUR")  # sats only at Blink's rate


def test_the_qr_shows_the_typed_amount_beside_the_sats() -> None:
    driver = ready(EUROS)
    request = one(driver.press("350o"), CreateInvoices).request
    effects = driver.handle(dataclasses.replace(created(request, amount=3684), typed=350))
    qr = one(effects, Show).screen
    assert isinstance(qr, ShowInvoice)
    assert (qr.amount_sats, qr.label) == (3684, "3.50 EUR")


def test_a_wrong_answer_to_the_typed_amount_is_refused() -> None:
    driver = ready(EUROS)
    request = one(driver.press("350o"), CreateInvoices).request
    driver.handle(dataclasses.replace(created(request, amount=3684), typed=351))
    assert driver.state() is FlowState.ERROR


def test_a_preset_tip_is_added_on_its_key() -> None:
    driver = ready(TIPS)
    driver.press("1000")
    effects = driver.press("o")
    assert one(effects, Show).screen == TipChoice(
        "1,000 sats", ("none", "10%", "15%", "20%", "other")
    )
    assert driver.state() is FlowState.TIPPING
    create = one(driver.press("3"), CreateInvoices)  # 15 %
    assert (create.amount, create.tip) == (1000, 150)


def test_no_tip_by_key_one_or_ok_and_cancel_goes_back_to_the_amount() -> None:
    driver = ready(TIPS)
    driver.press("1000o")
    driver.press("c")
    assert driver.state() is FlowState.ENTERING
    assert driver.machine.screen == AmountEntry("1000")  # the amount kept
    driver.press("o")
    assert one(driver.press("o"), CreateInvoices).tip == 0


def test_a_tip_typed_by_hand() -> None:
    driver = ready(TIPS)
    driver.press("1000o")
    driver.press("5")  # other
    assert driver.state() is FlowState.TIP_ENTRY
    driver.press("25")
    driver.press("b")  # back one digit
    assert driver.machine.screen == AmountEntry("2", title="Tip")
    create = one(driver.press("0o"), CreateInvoices)
    assert (create.amount, create.tip) == (1000, 20)
