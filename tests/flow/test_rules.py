"""One test per rule of the payment flow (see terminal/flow/table.py)."""

from __future__ import annotations

import pytest

from terminal.errors import ConfigError
from terminal.flow import (
    CancelSale,
    CancelTimer,
    Celebrate,
    CreateInvoices,
    FlowConfig,
    FlowState,
    Forward,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceExpired,
    Link,
    Machine,
    PaymentSettled,
    Reconnect,
    Show,
    ShowLinks,
    SignalError,
    StartTimer,
    TimerFired,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.links import LinkState
from terminal.screens.model import (
    AmountEntry,
    Creating,
    Error,
    Expired,
    Idle,
    NotReady,
    Paid,
    ShowInvoice,
    Success,
)
from tests.flow.drive import CONFIG, Driver, created, failed, kinds, one, ready, waiting

# --- start-up and links ----------------------------------------------------------------------


def test_it_starts_not_ready_and_says_it_is_connecting() -> None:
    machine = Machine(CONFIG)
    assert machine.state is FlowState.NOT_READY
    assert machine.start() == [
        ShowLinks(LinkState.CONNECTING, LinkState.OFF),
        Show(NotReady("Connecting to Blink", "Wait a moment")),
    ]


def test_it_becomes_ready_when_the_pos_link_detects_payments() -> None:
    driver = Driver()
    assert driver.pos(LinkState.DEGRADED) == [
        ShowLinks(LinkState.DEGRADED, LinkState.OFF),
        Show(Idle("Corner Café")),
    ]
    assert driver.state() is FlowState.IDLE


def test_a_merchant_link_alone_does_not_make_it_ready() -> None:
    driver = Driver()
    assert driver.merchant(LinkState.UP) == [ShowLinks(LinkState.CONNECTING, LinkState.UP)]
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
        (LinkState.DOWN, LinkState.UP, [Reconnect(Link.POS)]),
        (LinkState.UP, LinkState.DOWN, [Reconnect(Link.MERCHANT)]),
        (LinkState.DEGRADED, LinkState.REJECTED, [Reconnect(Link.POS), Reconnect(Link.MERCHANT)]),
        (LinkState.UP, LinkState.OFF, []),
        (LinkState.UP, LinkState.UP, []),
    ],
)
def test_reconnect_reconnects_whichever_link_is_down(
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
    driver.press("bb")
    assert driver.machine.screen == AmountEntry("")
    assert driver.state() is FlowState.ENTERING


def test_a_digit_beyond_the_maximum_is_refused_with_a_message() -> None:
    driver = ready()
    driver.press("10000")
    effects = driver.press("1")
    assert effects == [Show(AmountEntry("10000", "sats", "maximum 100,000 sats"))]
    driver.press("0")
    assert driver.machine.screen == AmountEntry("100000")
    assert one(driver.press("o"), CreateInvoices).amount_sats == 100_000


def test_ok_on_nothing_asks_for_an_amount() -> None:
    driver = ready()
    effects = driver.press("0o")
    assert not any(isinstance(e, CreateInvoices) for e in effects)
    assert driver.machine.screen == AmountEntry("", "sats", "type an amount first")


def test_cancel_while_typing_returns_to_idle() -> None:
    driver = ready()
    assert driver.press("12c")[-1] == Show(Idle("Corner Café"))
    assert driver.state() is FlowState.IDLE


def test_ok_asks_for_invoices_of_the_typed_amount() -> None:
    driver = ready()
    effects = driver.press("2500o")
    assert effects[-2:] == [Show(Creating(2500)), CreateInvoices(2500, 1)]
    assert driver.state() is FlowState.CREATING


# --- creating invoices -----------------------------------------------------------------------


def test_created_invoices_are_watched_timed_and_shown() -> None:
    driver = ready()
    request = driver.start_sale("1234").request
    effects = driver.handle(created(request, "sale-1", 1234))
    expiry = one(effects, StartTimer)
    assert effects == [
        WatchInvoice("sale-1", "hash-sale-1"),
        StartTimer(expiry.name, 600.0),
        Show(ShowInvoice("lnbc1234n1psale-1", 1234, 1_700_000_600.0, degraded=False)),
    ]
    assert driver.state() is FlowState.WAITING


def test_a_degraded_link_shows_the_qr_marked_degraded() -> None:
    driver = ready()
    driver.pos(LinkState.DEGRADED)
    driver.handle(created(driver.start_sale().request))
    screen = driver.machine.screen
    assert isinstance(screen, ShowInvoice)
    assert screen.degraded


def test_invoices_for_a_cancelled_request_are_cancelled_not_shown() -> None:
    driver = ready()
    first = driver.start_sale("1000").request
    driver.press("c")
    second = driver.start_sale("2000").request
    assert driver.handle(created(first, "sale-1", 1000)) == [CancelSale("sale-1")]
    assert driver.state() is FlowState.CREATING
    driver.handle(created(second, "sale-2", 2000))
    assert driver.machine.shown_sale_id == "sale-2"


def test_losing_detection_while_creating_cancels_the_coming_invoices() -> None:
    driver = ready()
    request = driver.start_sale().request
    driver.pos(LinkState.DOWN, "DNS failure")
    assert driver.state() is FlowState.NOT_READY
    assert driver.machine.screen == NotReady(
        "DNS failure", "Check the network, then press RECONNECT"
    )
    assert driver.handle(created(request)) == [CancelSale("sale-1")]
    assert not any(
        isinstance(e, Show) and isinstance(e.screen, ShowInvoice) for e in driver.effects
    )


def test_invoices_of_the_wrong_amount_are_refused() -> None:
    driver = ready()
    request = driver.start_sale("1000").request
    effects = driver.handle(created(request, "sale-1", 9999))
    assert CancelSale("sale-1") in effects
    assert SignalError() in effects
    assert driver.state() is FlowState.ERROR
    assert not isinstance(driver.machine.screen, ShowInvoice)


def test_a_creation_failure_says_what_to_do_and_ok_retries() -> None:
    driver = ready()
    request = driver.start_sale("1500").request
    effects = driver.handle(failed(request, retryable=True))
    advice = Error("Blink unreachable", "no answer within 10 s", "Press OK to try again")
    assert Show(advice) in effects
    assert SignalError() in effects
    retry = driver.press("o")
    assert one(retry, CreateInvoices) == CreateInvoices(1500, request + 1)
    assert driver.state() is FlowState.CREATING


def test_a_permanent_creation_failure_is_dismissed_by_ok() -> None:
    driver = ready()
    driver.handle(failed(driver.start_sale().request, retryable=False))
    assert driver.press("o")[-1] == Show(Idle("Corner Café"))
    assert not any(isinstance(e, CreateInvoices) for e in driver.effects[-2:])


# --- waiting for the payment -----------------------------------------------------------------


def test_the_link_dying_while_waiting_keeps_the_sale_and_hides_the_qr() -> None:
    driver = waiting("sale-1")
    effects = driver.pos(LinkState.DOWN, "socket silent")
    assert driver.state() is FlowState.WAITING
    assert not any(isinstance(e, (CancelSale, UnwatchInvoice, CancelTimer)) for e in effects)
    screen = driver.machine.screen
    assert isinstance(screen, NotReady)
    assert "stays open" in screen.reason
    driver.pos(LinkState.UP)
    assert isinstance(driver.machine.screen, ShowInvoice)
    driver.handle(PaymentSettled("sale-1", 1234))
    assert driver.state() is FlowState.PAID


def test_cancel_while_waiting_cancels_the_sale() -> None:
    driver = waiting("sale-1")
    expiry = driver.timer()
    assert driver.press("c") == [
        CancelSale("sale-1"),
        UnwatchInvoice("sale-1"),
        CancelTimer(expiry),
        Show(Idle("Corner Café")),
    ]
    assert driver.state() is FlowState.IDLE


def test_the_shown_sale_paid_goes_to_paid_and_forwards() -> None:
    driver = waiting("sale-1")
    effects = driver.handle(PaymentSettled("sale-1", 1234))
    assert Forward("sale-1") in effects
    assert UnwatchInvoice("sale-1") in effects
    assert effects[-1] == Show(Paid(1234))
    assert driver.timers == set()


def test_a_late_payment_is_forwarded_without_touching_the_screen() -> None:
    driver = waiting("sale-1")
    driver.press("c")
    driver.press("77")
    screen = driver.machine.screen
    assert driver.handle(PaymentSettled("sale-1", 1234)) == [Forward("sale-1")]
    assert (driver.state(), driver.machine.screen) == (FlowState.ENTERING, screen)


def test_another_sale_paid_while_waiting_does_not_disturb_the_qr() -> None:
    driver = waiting("sale-2")
    assert driver.handle(PaymentSettled("sale-1", 50)) == [Forward("sale-1")]
    assert driver.state() is FlowState.WAITING


def test_a_duplicate_payment_is_forwarded_again_harmlessly() -> None:
    driver = waiting("sale-1")
    driver.handle(PaymentSettled("sale-1", 1234))
    assert driver.handle(PaymentSettled("sale-1", 1234)) == [Forward("sale-1")]
    assert driver.state() is FlowState.PAID


@pytest.mark.parametrize("how", ["timer", "blink"])
def test_expiry_shows_expired_and_a_later_payment_is_still_forwarded(how: str) -> None:
    driver = waiting("sale-1")
    event = TimerFired(driver.timer()) if how == "timer" else InvoiceExpired("sale-1")
    effects = driver.handle(event)
    assert UnwatchInvoice("sale-1") in effects
    assert Show(Expired(1234)) in effects
    assert driver.state() is FlowState.EXPIRED
    effects = driver.handle(PaymentSettled("sale-1", 1234))
    assert effects[0] == Forward("sale-1")
    assert driver.state() is FlowState.PAID
    driver.press("c")
    assert driver.handle(PaymentSettled("sale-1", 1234)) == [Forward("sale-1")]


def test_an_expiry_of_another_sale_changes_nothing() -> None:
    driver = waiting("sale-2")
    assert driver.handle(InvoiceExpired("sale-1")) == []
    assert driver.state() is FlowState.WAITING


# --- forwarding ------------------------------------------------------------------------------


def paid(sale_id: str = "sale-1") -> Driver:
    driver = waiting(sale_id)
    driver.handle(PaymentSettled(sale_id, 1234))
    return driver


def test_forwarded_celebrates_then_returns_to_idle() -> None:
    driver = paid()
    effects = driver.handle(ForwardSucceeded("sale-1"))
    assert effects[:2] == [Celebrate(), Show(Success(1234))]
    assert one(effects, StartTimer).seconds == CONFIG.done_seconds
    assert driver.state() is FlowState.DONE
    assert driver.handle(TimerFired(driver.timer())) == [Show(Idle("Corner Café"))]
    assert driver.state() is FlowState.IDLE


def test_another_sale_forwarded_shows_nothing() -> None:
    driver = paid("sale-2")
    assert driver.handle(ForwardSucceeded("sale-1")) == []
    assert driver.state() is FlowState.PAID


def test_a_delayed_forward_stays_paid_and_says_the_money_is_safe() -> None:
    driver = paid()
    effects = driver.handle(ForwardDelayed("sale-1", "Blink unreachable"))
    assert driver.state() is FlowState.PAID
    screen = one(effects, Show).screen
    assert isinstance(screen, Error)
    assert "money is safe" in screen.detail
    assert "Corner Café" in screen.detail
    driver.handle(ForwardSucceeded("sale-1"))
    assert driver.state() is FlowState.DONE


def test_ok_leaves_the_paid_screen_and_the_forward_result_then_shows_nothing() -> None:
    driver = paid()
    driver.press("o")
    assert driver.state() is FlowState.IDLE
    assert driver.handle(ForwardSucceeded("sale-1")) == []


def test_a_hard_forward_failure_needs_the_operator() -> None:
    driver = paid()
    effects = driver.handle(ForwardFailedHard("sale-1", "Balance too low", "Top up BlinkPOS"))
    assert effects[-1] == SignalError()
    screen = one(effects, Show).screen
    assert isinstance(screen, Error)
    assert (screen.title, screen.action) == ("Balance too low", "Top up BlinkPOS")
    assert driver.state() is FlowState.ERROR
    assert driver.timers == set()  # stays until a key: an operator must see it
    driver.handle(ForwardSucceeded("sale-1"))  # the operator topped up; the forwarder retried
    assert driver.state() is FlowState.DONE


def test_a_hard_failure_of_another_sale_only_signals() -> None:
    driver = waiting("sale-2")
    assert driver.handle(ForwardFailedHard("sale-1", "Balance", "Top up")) == [SignalError()]
    assert driver.state() is FlowState.WAITING


# --- message screens and timers --------------------------------------------------------------


def test_a_digit_on_a_message_screen_starts_the_next_amount() -> None:
    driver = paid()
    driver.handle(ForwardSucceeded("sale-1"))
    driver.press("5")
    assert (driver.state(), driver.machine.screen) == (FlowState.ENTERING, AmountEntry("5"))
    assert driver.timers == set()


def test_a_stale_timer_is_ignored() -> None:
    driver = paid()
    driver.handle(ForwardSucceeded("sale-1"))
    done_timer = driver.timer()
    driver.press("c")
    driver.handle(failed(driver.start_sale().request))
    assert driver.state() is FlowState.ERROR
    assert driver.handle(TimerFired(done_timer)) == []
    assert driver.state() is FlowState.ERROR


def test_a_message_screen_goes_not_ready_when_the_link_went_down_meanwhile() -> None:
    driver = waiting()
    driver.handle(TimerFired(driver.timer()))
    driver.pos(LinkState.DOWN)
    assert driver.state() is FlowState.EXPIRED
    driver.handle(TimerFired(driver.timer()))
    assert driver.state() is FlowState.NOT_READY


# --- configuration ---------------------------------------------------------------------------


def test_a_config_without_a_positive_maximum_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_amount_sats"):
        FlowConfig(merchant_name="x", max_amount_sats=0)


def test_a_config_with_a_zero_timer_is_refused() -> None:
    with pytest.raises(ConfigError, match="done_seconds"):
        FlowConfig(merchant_name="x", max_amount_sats=10, done_seconds=0)


def test_the_unit_label_is_used_on_the_entry_screen() -> None:
    driver = Driver(FlowConfig(merchant_name="x", max_amount_sats=9, unit="sat"))
    driver.pos(LinkState.UP)
    assert driver.press("1")[-1] == Show(AmountEntry("1", "sat"))
    assert kinds(driver.press("2")) == [Show]
    assert driver.machine.screen == AmountEntry("1", "sat", "maximum 9 sat")
