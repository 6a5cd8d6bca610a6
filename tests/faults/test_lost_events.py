"""Detection that cannot miss: events lost on a socket that looks alive, on the real process.

Blink has no replay. In each test the sandbox loses events while the socket, its pings and (but
for the blackout) its price ticks go on, so nothing tells the terminal that anything is wrong;
only its own HTTP questions can find the payment. The judge is the sandbox's ledger (exactly
once) and, for what the merchant sees, the screens the terminal logged at debug level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from terminal.sandbox import SandboxThread
from tests.faults.harness import Harness
from tests.faults.ledger_check import check_exactly_once, read_book

AMOUNT = 2100


@pytest.fixture
def watched(sandbox_thread: SandboxThread, tmp_path: Path) -> Iterator[Harness]:
    """A terminal whose log holds every screen it shows."""
    rig = Harness(sandbox_thread, tmp_path / "terminal", log_level="debug")
    try:
        yield rig
    finally:
        rig.close()


def on_sandbox(sb: SandboxThread, change: Callable[[], Any]) -> None:
    """Apply a fault on the sandbox's own loop (its state belongs to that thread)."""

    async def apply() -> None:
        change()

    sb.call(apply())


def shown_after(harness: Harness, marker: str, screen: str) -> bool:
    """True if the log shows ``screen`` after the first line containing ``marker``."""
    log = harness.log_text()
    start = log.find(marker)
    return start >= 0 and f"show {screen}(" in log[start:]


def finish_exactly_once(harness: Harness) -> None:
    harness.wait_nothing_owed()
    assert harness.stop() == 0
    verdict = check_exactly_once(read_book(harness.sb), harness.journal())
    assert verdict.clean, verdict
    assert verdict.forwarded_once >= 1


def ws_connections(sb: SandboxThread) -> int:
    stats: dict[str, Any] = sb.stats.describe()
    return int(stats["wsConnections"])


def test_a_paid_notification_lost_on_a_live_socket_is_found_within_15_s(watched: Harness) -> None:
    sb = watched.sb
    assert watched.start()
    sale = watched.open_sale(AMOUNT)
    assert sale.pos_hash is not None
    connections = ws_connections(sb)
    on_sandbox(sb, lambda: sb.faults.drop_events(payment_hash=sale.pos_hash))
    assert watched.pay(sale) == "SUCCESS"
    watched.wait_forwarded(sale.id, timeout=15.0)
    # The QR left the screen: the payment is on it, found by asking, not by a reconnect.
    watched.wait_for(lambda: shown_after(watched, f"sale {sale.id} paid", "Paid"), "Paid shown")
    # Found by asking (a query, or a subscription's first answer), never by the lost push.
    assert f"sale {sale.id} paid ({AMOUNT} sats, seen via myUpdates)" not in watched.log_text()
    assert ws_connections(sb) == connections, "the socket stayed up: no reconnect found it"
    finish_exactly_once(watched)


def test_a_60_s_blackout_of_every_event_does_not_hide_a_payment(watched: Harness) -> None:
    sb = watched.sb
    assert watched.start()
    sale = watched.open_sale(AMOUNT)
    connections = ws_connections(sb)
    on_sandbox(sb, lambda: sb.faults.blackout(60.0))
    assert watched.pay(sale) == "SUCCESS"
    watched.wait_forwarded(sale.id, timeout=15.0)
    watched.wait_for(lambda: shown_after(watched, f"sale {sale.id} paid", "Paid"), "Paid shown")
    assert ws_connections(sb) == connections, "within the liveness bound: the socket stays"
    finish_exactly_once(watched)


def test_a_payment_to_an_expired_invoice_whose_event_is_lost_is_forwarded(
    watched: Harness,
) -> None:
    sb = watched.sb
    assert watched.start()
    sale = watched.open_sale(AMOUNT)
    assert sale.pos_hash is not None
    sb.clock.advance(16 * 60.0)  # Blink expires the POS invoice; the screen hears EXPIRED
    watched.wait_for(lambda: watched.state_of(sale.id) == "lapsed", "the sale lapsed")
    watched.wait_for(lambda: "show Expired(" in watched.log_text(), "Expired shown")
    on_sandbox(sb, lambda: sb.faults.drop_events(payment_hash=sale.pos_hash))
    # Blink-to-Blink payments do not check expiry: the customer's wallet pays it anyway.
    assert watched.pay(sale) == "SUCCESS"
    # No event, no screen watching it: only the lapsed sales' cadence can find it.
    watched.wait_forwarded(sale.id, timeout=75.0)
    finish_exactly_once(watched)


def test_a_payment_after_cancel_is_forwarded_and_the_merchant_is_told(watched: Harness) -> None:
    assert watched.start()
    sale = watched.open_sale(AMOUNT)
    watched.type("c")  # the merchant gives up on the QR
    watched.wait_for(lambda: watched.state_of(sale.id) == "cancelled", "the cancel journaled")
    assert watched.pay(sale) == "SUCCESS"
    watched.wait_forwarded(sale.id)
    notice = f"Late payment: {AMOUNT:,} sats reached Fault Stall"
    watched.wait_for(lambda: notice in watched.log_text(), "the late payment's notice")
    assert "show Idle(" in watched.log_text().split(notice)[0].rsplit("\n", 1)[-1]
    finish_exactly_once(watched)


def test_my_updates_answered_with_an_error_is_no_detection_and_no_qr(watched: Harness) -> None:
    sb = watched.sb

    def refuse_every_subscribe() -> None:
        for _ in range(50):
            sb.faults.fail_subscription("myUpdates", "error")

    on_sandbox(sb, refuse_every_subscribe)
    assert watched.start(live=False)
    refused = "Blink refused the payment subscription"
    watched.wait_for(
        lambda: f"show NotReady(reason='{refused}" in watched.log_text(), "the reason shown"
    )
    # The flow takes keys in turn: once the RECONNECT after the amount is logged, the amount
    # and its OK were handled too, and they made nothing.
    watched.type(f"{AMOUNT}\nr")
    watched.wait_for(
        lambda: "reconnect of the pos link asked from the keypad" in watched.log_text(),
        "the keys handled",
    )
    life = watched.life
    assert life is not None
    assert "STATUS=BlinkPOS payment detection refused by Blink" in life.notices
    assert "show ShowInvoice(" not in watched.log_text()
    assert "show Creating(" not in watched.log_text()
    assert watched.journal() == {}
    assert "ready: payment detection is live" not in watched.log_text()
    assert watched.stop() == 0
