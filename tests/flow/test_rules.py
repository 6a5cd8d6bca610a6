"""Rules of the payment flow for a sale: invoices, payment, forwarding, expiry, messages."""

from __future__ import annotations

import pytest

from terminal.flow import (
    CancelSale,
    CancelTimer,
    Celebrate,
    ConfirmPaid,
    CreateInvoices,
    FlowState,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    PaymentReceived,
    SaleLapsed,
    Show,
    SignalError,
    StartTimer,
    TimerFired,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.links import LinkState
from terminal.screens.model import (
    AmountEntry,
    Checking,
    Error,
    Expired,
    Idle,
    NotReady,
    Paid,
    ShowInvoice,
    Success,
)
from tests.flow.drive import CONFIG, Driver, created, failed, one, ready, waiting

# --- creating invoices -----------------------------------------------------------------------


def test_created_invoices_are_watched_timed_and_shown() -> None:
    driver = ready()
    request = driver.start_sale("1234").request
    effects = driver.handle(created(request, "sale-1", 1234))
    expiry = one(effects, StartTimer)
    assert effects == [
        WatchInvoice("sale-1", "hash-sale-1"),
        StartTimer(expiry.name, 600.0),
        # The countdown is on the monotonic clock, from when Blink made it: 1000 + 600 s.
        Show(ShowInvoice("lnbc1234n1psale-1", 1234, 1_600.0, degraded=False)),
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
    driver.handle(PaymentReceived("sale-1", 1234))
    assert driver.state() is FlowState.FORWARDING


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


def test_the_shown_sale_paid_goes_to_forwarding() -> None:
    driver = waiting("sale-1")
    effects = driver.handle(PaymentReceived("sale-1", 1234))
    assert UnwatchInvoice("sale-1") in effects
    assert effects[-1] == Show(Paid(1234))
    assert driver.timers == set()


def test_a_late_payment_does_not_touch_the_screen() -> None:
    driver = waiting("sale-1")
    driver.press("c")
    driver.press("77")
    screen = driver.machine.screen
    assert driver.handle(PaymentReceived("sale-1", 1234)) == []
    assert (driver.state(), driver.machine.screen) == (FlowState.ENTERING, screen)


def test_another_sale_paid_while_waiting_does_not_disturb_the_qr() -> None:
    driver = waiting("sale-2")
    assert driver.handle(PaymentReceived("sale-1", 50)) == []
    assert driver.state() is FlowState.WAITING


def test_a_duplicate_payment_changes_nothing() -> None:
    driver = waiting("sale-1")
    driver.handle(PaymentReceived("sale-1", 1234))
    assert driver.handle(PaymentReceived("sale-1", 1234)) == []
    assert driver.state() is FlowState.FORWARDING


def test_the_terminals_own_timer_only_asks_blink_it_never_says_not_paid() -> None:
    driver = waiting("sale-1")
    effects = driver.handle(TimerFired(driver.timer()))
    assert driver.state() is FlowState.CHECKING
    assert ConfirmPaid("sale-1", one(effects, ConfirmPaid).payment_hash) in effects
    assert effects[0] == Show(Checking(1234))
    assert UnwatchInvoice("sale-1") not in effects  # still watched: Blink's answer may come
    assert not any(isinstance(e, Show) and isinstance(e.screen, Expired) for e in effects)
    # Blink's answer decides: paid after all.
    assert driver.handle(PaymentReceived("sale-1", 1234))[-1] == Show(Paid(1234))
    assert driver.state() is FlowState.FORWARDING


@pytest.mark.parametrize("how", ["timer", "blink"])
def test_expiry_shows_expired_and_a_later_payment_still_shows_paid(how: str) -> None:
    driver = waiting("sale-1")
    if how == "timer":
        driver.handle(TimerFired(driver.timer()))  # asks Blink first (CHECKING) ...
    effects = driver.handle(SaleLapsed("sale-1"))  # ... and only Blink's EXPIRED says no
    assert UnwatchInvoice("sale-1") in effects
    assert Show(Expired(1234)) in effects
    assert driver.state() is FlowState.TIMED_OUT
    effects = driver.handle(PaymentReceived("sale-1", 1234))
    assert effects[-1] == Show(Paid(1234))
    assert driver.state() is FlowState.FORWARDING
    driver.press("c")
    assert driver.handle(PaymentReceived("sale-1", 1234)) == []


def test_an_expiry_of_another_sale_changes_nothing() -> None:
    driver = waiting("sale-2")
    assert driver.handle(SaleLapsed("sale-1")) == []
    assert driver.state() is FlowState.WAITING


# --- forwarding ------------------------------------------------------------------------------


def paid(sale_id: str = "sale-1") -> Driver:
    driver = waiting(sale_id)
    driver.handle(PaymentReceived(sale_id, 1234))
    return driver


def test_forwarded_celebrates_then_returns_to_idle() -> None:
    driver = paid()
    effects = driver.handle(ForwardSucceeded("sale-1", 1234))
    assert effects[:2] == [Celebrate(), Show(Success(1234))]
    assert one(effects, StartTimer).seconds == CONFIG.done_seconds
    assert driver.state() is FlowState.DONE
    assert driver.handle(TimerFired(driver.timer())) == [Show(Idle("Corner Café"))]
    assert driver.state() is FlowState.IDLE


def test_another_sale_forwarded_shows_nothing() -> None:
    driver = paid("sale-2")
    assert driver.handle(ForwardSucceeded("sale-1", 1234)) == []
    assert driver.state() is FlowState.FORWARDING


def test_a_delayed_forward_stays_paid_and_says_the_money_is_safe() -> None:
    driver = paid()
    effects = driver.handle(ForwardDelayed("sale-1", "Blink unreachable"))
    assert driver.state() is FlowState.FORWARDING
    screen = one(effects, Show).screen
    assert isinstance(screen, Error)
    assert "money is safe" in screen.detail
    assert "Corner Café" in screen.detail
    driver.handle(ForwardSucceeded("sale-1", 1234))
    assert driver.state() is FlowState.DONE


def test_ok_leaves_the_paid_screen_and_the_forward_is_then_a_notice_on_the_idle_screen() -> None:
    driver = paid()
    driver.press("o")
    assert driver.state() is FlowState.IDLE
    effects = driver.handle(ForwardSucceeded("sale-1", 1234))
    assert effects == [
        Celebrate(),
        Show(Idle("Corner Café", "Late payment: 1,234 sats reached Corner Café")),
    ]
    driver.press("5")  # any key clears it: the next sale begins
    driver.press("c")
    assert driver.machine.screen == Idle("Corner Café")


def test_a_late_payment_while_another_customer_pays_waits_quietly_for_the_idle_screen() -> None:
    driver = waiting("sale-2")
    assert driver.handle(ForwardSucceeded("sale-1", 500)) == []  # no sound over a live QR
    driver.press("c")
    assert driver.machine.screen == Idle(
        "Corner Café", "Late payment: 500 sats reached Corner Café"
    )


def test_a_hard_forward_failure_needs_the_operator() -> None:
    driver = paid()
    effects = driver.handle(ForwardFailedHard("sale-1", "Balance too low", "Top up BlinkPOS"))
    assert effects[-1] == SignalError()
    screen = one(effects, Show).screen
    assert isinstance(screen, Error)
    assert (screen.title, screen.action) == ("Balance too low", "Top up BlinkPOS")
    assert driver.state() is FlowState.ERROR
    assert driver.timers == set()  # stays until a key: an operator must see it
    driver.handle(ForwardSucceeded("sale-1", 1234))  # the operator topped up; the forwarder retried
    assert driver.state() is FlowState.DONE


def test_a_hard_failure_of_another_sale_only_signals() -> None:
    driver = waiting("sale-2")
    assert driver.handle(ForwardFailedHard("sale-1", "Balance", "Top up")) == [SignalError()]
    assert driver.state() is FlowState.WAITING


# --- message screens and timers --------------------------------------------------------------


def test_a_digit_on_a_message_screen_starts_the_next_amount() -> None:
    driver = paid()
    driver.handle(ForwardSucceeded("sale-1", 1234))
    driver.press("5")
    assert (driver.state(), driver.machine.screen) == (FlowState.ENTERING, AmountEntry("5"))
    assert driver.timers == set()


def test_a_stale_timer_is_ignored() -> None:
    driver = paid()
    driver.handle(ForwardSucceeded("sale-1", 1234))
    done_timer = driver.timer()
    driver.press("c")
    driver.handle(failed(driver.start_sale().request))
    assert driver.state() is FlowState.ERROR
    assert driver.handle(TimerFired(done_timer)) == []
    assert driver.state() is FlowState.ERROR


def test_a_message_screen_goes_not_ready_when_the_link_went_down_meanwhile() -> None:
    driver = waiting()
    driver.handle(TimerFired(driver.timer()))
    driver.handle(SaleLapsed(driver.machine.shown_sale_id or ""))
    driver.pos(LinkState.DOWN)
    assert driver.state() is FlowState.TIMED_OUT
    driver.handle(TimerFired(driver.timer()))
    assert driver.state() is FlowState.NOT_READY
