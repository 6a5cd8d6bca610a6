"""The till menu in the flow: opened by a key and the PIN, no sale while open, closed by itself."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from terminal.flow import (
    CreateInvoices,
    FlowState,
    ForwardSucceeded,
    KeyPressed,
    PaymentReceived,
    Show,
    TimerFired,
)
from terminal.flow.menu import NO_PIN, TAPS_TO_OPEN
from terminal.flow.menu_data import (
    BalanceRead,
    CheckPin,
    LoadTill,
    MenuActionDone,
    PinChecked,
    RefreshBalance,
    ReprintReceipt,
    RetryForwards,
    TillLoaded,
)
from terminal.keys import Key
from terminal.links import LinkState
from terminal.screens.model import Idle, NotReady, PinEntry, ShowInvoice, TillMenu
from terminal.till import Totals
from tests.flow.drive import CONFIG, Driver, kinds, one, ready
from tests.flow.menu_expected import SUMMARY

PIN = "2580"


def at_pin(driver: Driver | None = None) -> Driver:
    driver = driver or ready()
    driver.press("m")
    assert driver.state() is FlowState.PIN
    return driver


def in_menu(driver: Driver | None = None) -> Driver:
    driver = at_pin(driver)
    check = one(driver.press(PIN + "o"), CheckPin)
    driver.handle(PinChecked(check.request, accepted=True))
    assert driver.state() is FlowState.MENU
    return driver


def screen(driver: Driver) -> object:
    return driver.machine.screen


# --- opening ---------------------------------------------------------------------------------


def test_the_menu_key_asks_for_the_pin_and_no_sale_starts() -> None:
    driver = at_pin()
    assert screen(driver) == PinEntry(0)
    assert CreateInvoices not in kinds(driver.press("123o"))


@pytest.mark.parametrize("key", ["c", "b"])
def test_three_cancels_in_a_row_open_it_on_a_pad_without_a_menu_key(key: str) -> None:
    driver = ready()
    driver.press(key * (TAPS_TO_OPEN - 1))
    assert driver.state() is FlowState.IDLE
    driver.press(key)
    assert driver.state() is FlowState.PIN


def test_a_digit_between_the_cancels_starts_the_count_again() -> None:
    driver = ready()
    driver.press("cc5c")  # the 5 starts an amount; CANCEL goes home, where the count restarts
    assert driver.state() is FlowState.IDLE
    driver.press("cc")
    assert driver.state() is FlowState.IDLE
    driver.press("c")
    assert driver.state() is FlowState.PIN


def test_it_opens_without_payment_detection_too() -> None:
    driver = ready()
    driver.pos(LinkState.DOWN, "no route")
    assert driver.state() is FlowState.NOT_READY
    in_menu(driver)


def test_the_menu_key_does_nothing_while_an_amount_is_typed() -> None:
    driver = ready()
    driver.press("12")
    effects = driver.press("m")
    assert (driver.state(), effects) == (FlowState.ENTERING, [])


def test_without_a_configured_pin_it_says_so_and_checks_nothing() -> None:
    driver = Driver(replace(CONFIG, has_pin=False))
    driver.pos(LinkState.UP)
    driver.press("m")
    assert screen(driver) == PinEntry(0, NO_PIN, warn=True)
    assert CheckPin not in kinds(driver.press("1234o"))
    driver.press("c")
    assert driver.state() is FlowState.IDLE


# --- the PIN ---------------------------------------------------------------------------------


def test_the_pin_is_shown_as_dots_and_leaves_only_in_the_check() -> None:
    driver = at_pin()
    effects = driver.press(PIN)
    shown = [e.screen for e in effects if isinstance(e, Show)]
    assert shown == [PinEntry(n) for n in range(1, len(PIN) + 1)]
    check = one(driver.press("o"), CheckPin)
    assert check.pin == PIN
    assert PIN not in repr(check)
    assert PIN not in repr(driver.machine.screen)
    assert screen(driver) == PinEntry(0, "Checking...")


def test_back_deletes_a_digit_and_on_nothing_closes() -> None:
    driver = at_pin()
    driver.press("12b")
    assert screen(driver) == PinEntry(1)
    driver.press("b")
    assert screen(driver) == PinEntry(0)
    driver.press("b")
    assert driver.state() is FlowState.IDLE


def test_a_short_pin_is_refused_before_it_is_checked() -> None:
    driver = at_pin()
    effects = driver.press("12o")
    assert CheckPin not in kinds(effects)
    assert screen(driver) == PinEntry(2, "At least 4 digits", warn=True)


def test_a_wrong_pin_says_how_long_to_wait_and_keeps_the_menu_shut() -> None:
    driver = at_pin()
    check = one(driver.press(PIN + "o"), CheckPin)
    driver.handle(PinChecked(check.request, accepted=False, retry_in=4.0))
    assert driver.state() is FlowState.PIN
    assert screen(driver) == PinEntry(0, "Wrong PIN. Try again in 4 s", warn=True)
    # The digits were not kept: the next try starts empty.
    assert one(driver.press("9999o"), CheckPin).pin == "9999"


def test_a_locked_guard_is_named_as_such() -> None:
    driver = at_pin()
    check = one(driver.press(PIN + "o"), CheckPin)
    driver.handle(PinChecked(check.request, accepted=False, checked=False, retry_in=300.0))
    assert screen(driver) == PinEntry(0, "Too many wrong PINs. Try again in 5 min", warn=True)


def test_keys_wait_while_the_pin_is_checked() -> None:
    driver = at_pin()
    driver.press(PIN + "o")
    assert CheckPin not in kinds(driver.press("1111o"))


def test_a_verdict_for_a_closed_pin_screen_opens_nothing() -> None:
    driver = at_pin()
    stale = one(driver.press(PIN + "o"), CheckPin)
    driver.press("c")
    at_pin(driver)
    driver.handle(PinChecked(stale.request, accepted=True))
    assert driver.state() is FlowState.PIN
    fresh = one(driver.press(PIN + "o"), CheckPin)
    assert fresh.request != stale.request


# --- the menu --------------------------------------------------------------------------------


def test_the_right_pin_opens_the_menu_and_reads_the_journal() -> None:
    driver = at_pin()
    check = one(driver.press(PIN + "o"), CheckPin)
    effects = driver.handle(PinChecked(check.request, accepted=True))
    assert LoadTill in kinds(effects)
    assert RefreshBalance not in kinds(effects)  # no merchant key: no balance to ask for
    page = screen(driver)
    assert isinstance(page, TillMenu)
    assert page.lines[0] == "Reading the journal..."


def test_the_balance_is_asked_for_when_the_merchant_link_is_configured() -> None:
    driver = ready()
    driver.merchant(LinkState.UP)
    driver.handle(BalanceRead(1_234_567))  # the link's news before the menu opened
    at_pin(driver)
    check = one(driver.press(PIN + "o"), CheckPin)
    assert RefreshBalance in kinds(driver.handle(PinChecked(check.request, accepted=True)))
    page = screen(driver)
    assert isinstance(page, TillMenu)
    assert "Balance 1,234,567 sats" in page.lines


def test_the_figures_are_shown_when_they_arrive() -> None:
    driver = in_menu()
    driver.handle(TillLoaded(SUMMARY))
    page = screen(driver)
    assert isinstance(page, TillMenu)
    assert page.title == "Today"
    assert page.lines[:3] == ("2 paid of 3 sales", "2,100 sats forwarded", "500 sats in flight")
    assert page.lines[-1] == "2 sales  3 retry"  # no printer: no reprint offered


def test_a_day_in_euros_with_tips_shows_both() -> None:
    driver = in_menu()
    today = Totals(3, 2, 2100, 500, tip_sats=210, fiat=(("EUR", Decimal("21.00")),))
    driver.handle(TillLoaded(replace(SUMMARY, today=today)))
    page = screen(driver)
    assert isinstance(page, TillMenu)
    assert page.lines[1:4] == ("2,100 sats forwarded", "21.00 EUR", "210 sats of tips")


def test_the_sales_page_lists_the_last_sales_with_their_word() -> None:
    driver = in_menu()
    driver.handle(TillLoaded(SUMMARY))
    driver.press("2")
    page = screen(driver)
    assert page == TillMenu(
        "Last sales 1/1", ("14:05 2,100 forwarded",), "press OK for more, press CANCEL to close"
    )
    driver.press("1")
    assert isinstance(screen(driver), TillMenu)
    assert screen(driver).title == "Today"  # type: ignore[attr-defined]


def test_retry_forwards_is_asked_of_the_shell_and_its_answer_shown() -> None:
    driver = in_menu()
    assert RetryForwards in kinds(driver.press("3"))
    effects = driver.handle(MenuActionDone("2 waiting forwards asked again"))
    assert LoadTill in kinds(effects)
    page = screen(driver)
    assert isinstance(page, TillMenu)
    assert "2 waiting forwards asked again" in page.lines


def test_reprint_is_offered_only_with_a_printer() -> None:
    assert ReprintReceipt not in kinds(in_menu().press("4"))
    driver = Driver(replace(CONFIG, has_printer=True))
    driver.pos(LinkState.UP)
    in_menu(driver)
    assert ReprintReceipt in kinds(driver.press("4"))


def test_no_sale_starts_and_no_qr_shows_while_the_menu_is_open() -> None:
    driver = in_menu()
    effects = driver.press("21000o") + driver.handle(PaymentReceived("old-sale", 500))
    assert CreateInvoices not in kinds(effects)
    assert not any(isinstance(e, Show) and isinstance(e.screen, ShowInvoice) for e in effects)
    assert driver.state() is FlowState.MENU


def test_a_late_payment_while_the_menu_is_open_shows_when_it_closes() -> None:
    driver = in_menu()
    effects = driver.handle(ForwardSucceeded("old-sale", 2_100))
    assert LoadTill in kinds(effects)  # the figures move
    driver.press("c")
    home = screen(driver)
    assert isinstance(home, Idle)
    assert home.notice == f"Late payment: 2,100 sats reached {CONFIG.merchant_name}"


@pytest.mark.parametrize("inside", [at_pin, in_menu])
def test_it_closes_by_itself_after_its_timer(inside: object) -> None:
    driver = inside()  # type: ignore[operator]
    driver.handle(TimerFired(driver.timer()))
    assert driver.state() is FlowState.IDLE
    assert driver.timers == set()


def test_every_key_keeps_it_open_for_another_while() -> None:
    driver = in_menu()
    first = driver.timer()
    driver.press("1")
    assert driver.timer() != first
    driver.handle(TimerFired(first))  # the old timer, fired late: stale
    assert driver.state() is FlowState.MENU


def test_losing_the_link_in_the_menu_closes_to_not_ready() -> None:
    driver = in_menu()
    driver.pos(LinkState.DOWN, "no route")
    assert driver.state() is FlowState.MENU
    driver.press("c")
    assert driver.state() is FlowState.NOT_READY
    assert isinstance(screen(driver), NotReady)


def test_the_menu_key_closes_it() -> None:
    driver = in_menu()
    driver.handle(KeyPressed(Key.MENU))
    assert driver.state() is FlowState.IDLE
