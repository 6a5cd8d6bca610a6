"""The socket's per-connection ledger, with no socket: readiness, refusals, what to complete."""

from __future__ import annotations

from terminal.blink import documents, protocol
from terminal.blink.session import Session
from terminal.blink.subscription import Subscription

PRICE = {"data": {"myUpdates": {"errors": [], "update": {"__typename": "RealtimePrice"}}}}


def subscription(sub_id: str, query: str, *, essential: bool) -> Subscription:
    """A subscription whose close() needs no socket."""
    return Subscription(lambda sub: None, sub_id, query, {}, essential=essential)


def test_ready_once_the_essential_subscription_has_a_clean_update() -> None:
    session = Session("BlinkPOS")
    updates = subscription("1", documents.MY_UPDATES, essential=True)
    status = subscription("2", documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, essential=False)
    assert session.mark_sent(updates)
    assert session.mark_sent(status)
    assert not session.mark_sent(updates), "never the same id twice on one connection (4409)"
    session.start()
    assert not session.ready()
    assert session.frame(status, protocol.Next("2", {"data": {}})) is None
    assert not session.ready(), "only the essential subscription's update counts"
    assert session.frame(updates, protocol.Next("1", {"errors": [{"message": "x"}]})) is None
    assert not session.ready(), "an update with errors is not a clean one"
    assert session.frame(updates, protocol.Next("1", PRICE)) is None
    assert session.ready()
    assert not session.ready(), "ready is said once"


def test_not_ready_before_every_subscription_was_sent() -> None:
    session = Session("BlinkPOS")
    assert not session.ready()
    session.start()
    assert session.ready(), "with no essential subscription, sent is enough"


def test_an_essential_refusal_is_quoted_when_blink_completes_it() -> None:
    session = Session("BlinkPOS")
    updates = subscription("1", documents.MY_UPDATES, essential=True)
    session.mark_sent(updates)
    session.start()
    failed = protocol.Next("1", {"errors": [{"message": "Redis connection lost"}]})
    assert session.frame(updates, failed) is None
    ended = session.frame(updates, protocol.Completed("1"))
    assert ended is not None
    assert ended.reason == "Blink refused the payment subscription: Redis connection lost"
    assert not ended.rejected
    assert not session.forget("1"), "Blink ended it: no complete to send back"


def test_an_authentication_error_is_a_rejected_key() -> None:
    session = Session("BlinkPOS")
    updates = subscription("1", documents.MY_UPDATES, essential=True)
    session.mark_sent(updates)
    ended = session.frame(
        updates, protocol.Errored("1", ({"message": "Not Authenticated for subscription"},))
    )
    assert ended is not None
    assert ended.rejected
    assert "BlinkPOS" in ended.reason


def test_a_side_subscription_that_blink_refuses_ends_alone() -> None:
    session = Session("BlinkPOS")
    status = subscription("2", documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, essential=False)
    session.mark_sent(status)
    assert session.frame(status, protocol.Errored("2", ({"message": "bad input"},))) is None
    assert status.closed
    assert not session.forget("2")
    other = subscription("3", documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION, essential=False)
    session.mark_sent(other)
    assert session.forget("3"), "still running at Blink: a complete must be sent"
