"""Rules of the payment flow before a sale exists: start-up, links, typing, configuration."""

from __future__ import annotations

import pytest

from terminal.flow import (
    CancelSale,
    CreateInvoices,
    FlowConfig,
    FlowState,
    Link,
    Machine,
    Reconnect,
    Show,
)
from terminal.links import LinkState
from terminal.screens.model import (
    AmountEntry,
    Creating,
    Idle,
    NotReady,
)
from tests.flow.drive import CONFIG, Driver, one, ready, waiting

# --- start-up and links ----------------------------------------------------------------------


def test_it_starts_not_ready_and_says_it_is_connecting() -> None:
    machine = Machine(CONFIG)
    assert machine.state is FlowState.NOT_READY
    assert machine.start() == [Show(NotReady("Connecting to Blink", "Wait a moment"))]


def test_it_becomes_ready_when_the_pos_link_detects_payments() -> None:
    driver = Driver()
    assert driver.pos(LinkState.DEGRADED) == [Show(Idle("Corner Café"))]
    assert driver.state() is FlowState.IDLE


def test_a_merchant_link_alone_does_not_make_it_ready() -> None:
    driver = Driver()
    assert driver.merchant(LinkState.UP) == []
    assert driver.machine.links == (LinkState.CONNECTING, LinkState.UP)
    assert driver.state() is FlowState.NOT_READY


def test_a_rejected_key_says_what_to_do() -> None:
    driver = ready()
    driver.pos(LinkState.REJECTED)
    screen = driver.machine.screen
    assert isinstance(screen, NotReady)
    assert "key" in screen.reason
    assert "Replace" in screen.action


def test_keys_other_than_reconnect_do_nothing_when_not_ready() -> None:
    driver = Driver()
    assert driver.press("12o") == []
    assert driver.state() is FlowState.NOT_READY


@pytest.mark.parametrize(
    ("pos", "merchant", "expected"),
    [
        (LinkState.DOWN, LinkState.UP, [Reconnect(Link.POS), Reconnect(Link.MERCHANT)]),
        (LinkState.UP, LinkState.DOWN, [Reconnect(Link.POS), Reconnect(Link.MERCHANT)]),
        (LinkState.DEGRADED, LinkState.REJECTED, [Reconnect(Link.POS), Reconnect(Link.MERCHANT)]),
        # An UP link too: it may look alive and deliver nothing. OFF is not configured.
        (LinkState.UP, LinkState.OFF, [Reconnect(Link.POS)]),
        (LinkState.UP, LinkState.UP, [Reconnect(Link.POS), Reconnect(Link.MERCHANT)]),
    ],
)
def test_reconnect_reconnects_every_configured_link(
    pos: LinkState, merchant: LinkState, expected: list[Reconnect]
) -> None:
    driver = Driver()
    driver.pos(pos)
    driver.merchant(merchant)
    assert driver.press("r") == expected


# --- typing an amount ------------------------------------------------------------------------


def test_leading_zeros_are_ignored_and_back_deletes() -> None:
    driver = ready()
    driver.press("0042")
    assert driver.machine.screen == AmountEntry("42")
    driver.press("b")
    assert driver.machine.screen == AmountEntry("4")
    driver.press("b")
    assert driver.machine.screen == AmountEntry("")
    assert driver.state() is FlowState.ENTERING


def test_a_digit_beyond_the_maximum_is_refused_with_a_message() -> None:
    driver = ready()
    driver.press("10000")
    effects = driver.press("1")
    assert effects == [Show(AmountEntry("10000", "sats", "maximum 100,000 sats"))]
    driver.press("0")
    assert driver.machine.screen == AmountEntry("100000")
    assert one(driver.press("o"), CreateInvoices).amount == 100_000


def test_ok_on_nothing_asks_for_an_amount() -> None:
    driver = ready()
    effects = driver.press("0o")
    assert not any(isinstance(e, CreateInvoices) for e in effects)
    assert driver.machine.screen == AmountEntry("", "sats", "type an amount first")


def test_cancel_while_typing_returns_to_idle() -> None:
    driver = ready()
    assert driver.press("12c")[-1] == Show(Idle("Corner Café"))
    assert driver.state() is FlowState.IDLE


def test_back_on_an_empty_amount_cancels_as_a_3x4_pad_needs() -> None:
    driver = ready()
    driver.press("12bb")
    assert driver.state() is FlowState.ENTERING
    driver.press("b")
    assert driver.state() is FlowState.IDLE


def test_back_cancels_a_shown_sale_as_a_3x4_pad_needs() -> None:
    driver = waiting("sale-1")
    assert CancelSale("sale-1") in driver.press("b")
    assert driver.state() is FlowState.IDLE


def test_ok_asks_for_invoices_of_the_typed_amount() -> None:
    driver = ready()
    effects = driver.press("2500o")
    assert effects[-2:] == [Show(Creating(2500)), CreateInvoices(2500, 1)]
    assert driver.state() is FlowState.CREATING


# --- configuration ---------------------------------------------------------------------------


def test_a_config_without_a_positive_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="max_amount_sats"):
        FlowConfig(merchant_name="x", max_amount_sats=0)


def test_a_config_with_a_zero_timer_is_refused() -> None:
    with pytest.raises(ValueError, match="done_seconds"):
        FlowConfig(merchant_name="x", max_amount_sats=10, done_seconds=0)
