"""The pure parts: backoff, connection budget, close codes, frames, updates, BOLT11."""

from __future__ import annotations

import hashlib
import itertools
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from coincurve import PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminal.blink import (
    ConnectionBudget,
    Disposition,
    InvoiceStatus,
    InvoiceStatusUpdate,
    LnPaid,
    OtherUpdate,
    Price,
    PriceTick,
    UpdateError,
    backoff,
    classify_close,
    decode_invoice,
    delay_after,
    parse_invoice_status,
    parse_my_update,
    prices,
    protocol,
)
from terminal.errors import MalformedAnswer
from tests.blink.invoices import NODE_PUBKEY, make_invoice


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- backoff ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_to_a_cap_with_jitter_below_each_step(seed: int) -> None:
    delays = list(itertools.islice(backoff(rng=random.Random(seed)), 12))
    ceilings = [min(30.0, 2.0**n) for n in range(12)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling * 0.5 <= delay <= ceiling


def test_backoff_is_jittered() -> None:
    first = [next(backoff(rng=random.Random(seed))) for seed in range(20)]
    assert len(set(first)) > 1


# ---- connection budget -----------------------------------------------------------------


def test_budget_allows_ten_then_waits_for_the_oldest_to_leave_the_window() -> None:
    clock = FakeClock()
    budget = ConnectionBudget(limit=10, window=60.0, clock=clock)
    for _ in range(10):
        assert budget.try_acquire()
        clock.now += 1.0
    assert not budget.try_acquire()
    assert budget.wait_time() == pytest.approx(50.0)  # the first left at 1000 + 60
    clock.now = 1060.0
    assert budget.try_acquire()
    assert budget.used() == 10


@given(st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=200))
def test_budget_never_exceeds_its_limit_in_any_window(gaps: list[float]) -> None:
    clock = FakeClock()
    budget = ConnectionBudget(limit=10, window=60.0, clock=clock)
    opened: list[float] = []
    for gap in gaps:
        clock.now += gap
        if budget.try_acquire():
            opened.append(clock.now)
    for start in opened:
        assert sum(1 for t in opened if start <= t < start + 60.0) <= 10


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="limit"):
        ConnectionBudget(limit=0)


@pytest.mark.parametrize("code", [None, 1000, 1001, 1006, 1011, 1012, 1013, 4401, 4408, 4999])
def test_close_codes_a_reconnect_can_cure_are_retried(code: int | None) -> None:
    verdict = classify_close(code, "whatever Blink said")
    assert verdict.disposition is Disposition.RETRY
    assert not verdict.terminal_bug
    assert verdict.reason


def test_too_many_init_requests_backs_off_longer() -> None:
    verdict = classify_close(4429)
    assert verdict.disposition is Disposition.RETRY_LATER
    assert not verdict.terminal_bug


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (4400, "Invalid message received"),
        (4406, "Subprotocol not acceptable"),
        (4409, "Subscriber for 1 already exists"),
        (4500, "Syntax Error: Expected Name, found <EOF>."),
    ],
)
def test_close_codes_of_the_terminals_own_requests_are_bugs(code: int, said: str) -> None:
    verdict = classify_close(code, said)
    assert verdict.disposition is Disposition.FATAL
    assert verdict.terminal_bug
    assert verdict.reason == (
        f"Blink rejected the terminal's request (close {code}: {said}): update the terminal"
    )


def test_a_bug_close_without_a_reason_still_says_what_it_was() -> None:
    assert "duplicate subscription id" in classify_close(4409).reason


def test_an_internal_error_is_retried_once_then_read_as_our_document() -> None:
    # Blink in production closes 4500 "Internal server error" whatever the cause; the same close
    # on the next connection too (nothing healthy between) means our request causes it.
    first = classify_close(4500, "Internal server error")
    assert first.disposition is Disposition.RETRY
    assert not first.terminal_bug
    again = classify_close(4500, "Internal server error", repeated=True)
    assert again.disposition is Disposition.FATAL
    assert again.terminal_bug
    assert "update the terminal" in again.reason


def test_forbidden_is_fatal_but_not_a_bug() -> None:
    verdict = classify_close(4403)
    assert verdict.disposition is Disposition.FATAL
    assert not verdict.terminal_bug


@pytest.mark.parametrize(
    ("disposition", "backoff_delay", "expected"),
    [
        (Disposition.RETRY, 2.0, 2.0),
        (Disposition.RETRY_LATER, 2.0, 60.0),
        (Disposition.RETRY_LATER, 90.0, 90.0),
        (Disposition.FATAL, 2.0, 300.0),
    ],
)
def test_delay_after_each_disposition(
    disposition: Disposition, backoff_delay: float, expected: float
) -> None:
    assert delay_after(disposition, backoff_delay, later=60.0, fatal=300.0) == expected


# ---- protocol frames -------------------------------------------------------------------


def test_connection_init_carries_the_key_or_nothing() -> None:
    assert '"X-API-KEY": "blink_k"' in protocol.connection_init("blink_k")
    assert protocol.connection_init(None) == '{"type": "connection_init", "payload": {}}'


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        ('{"type":"connection_ack"}', protocol.Acked),
        ('{"type":"ping"}', protocol.Pinged),
        ('{"type":"next","id":"1","payload":{"data":{}}}', protocol.Next),
        ('{"type":"error","id":"1","payload":[{"message":"x"}]}', protocol.Errored),
        ('{"type":"complete","id":"1"}', protocol.Completed),
        ("not json", protocol.Ignored),
        ("[1]", protocol.Ignored),
        ('{"type":"next","payload":{}}', protocol.Ignored),
        ('{"type":"next","id":"1","payload":[]}', protocol.Ignored),
        ('{"type":"error","id":"1","payload":{"message":"x"}}', protocol.Ignored),
        ('{"type":"surprise"}', protocol.Ignored),
        (b"\x00\x01", protocol.Ignored),
    ],
)
def test_parse_frame(frame: str | bytes, kind: type) -> None:
    assert isinstance(protocol.parse_frame(frame), kind)


def test_auth_failure_in_either_place() -> None:
    assert protocol.is_auth_failure([{"message": "Not Authenticated for subscription"}])
    assert protocol.is_auth_failure([{"message": "x", "extensions": {"code": "UNAUTHENTICATED"}}])
    assert not protocol.is_auth_failure([{"message": "Invoice not found"}])
    assert not protocol.is_auth_failure("Not Authenticated")


# ---- updates ---------------------------------------------------------------------------


def my_update(update: dict[str, Any] | None, errors: list[Any] | None = None) -> dict[str, Any]:
    """A myUpdates ``next`` payload."""
    return {"data": {"myUpdates": {"errors": errors or [], "update": update}}}


def paid_update(**tx: Any) -> dict[str, Any]:
    """An LnUpdate PAID of 2100 sats into a BTC wallet, with ``tx`` fields replaced."""
    transaction = {
        "direction": "RECEIVE",
        "settlementAmount": 2100,
        "settlementCurrency": "BTC",
        "externalId": "sale-1",
        "initiationVia": {"paymentHash": "AB" * 32},
    } | tx
    return {"__typename": "LnUpdate", "status": "PAID", "transaction": transaction}


def test_ln_update_paid_carries_the_amount_and_currency() -> None:
    assert parse_my_update(my_update(paid_update())) == LnPaid("ab" * 32, 2100, "sale-1", "BTC")


@pytest.mark.parametrize(
    ("tx", "currency"),
    [
        ({"settlementCurrency": "USD", "settlementAmount": 150}, "USD"),  # cents, not sats
        ({"settlementAmount": -2100}, "BTC"),
        ({"settlementAmount": 0}, "BTC"),
        ({"settlementAmount": 2100.5}, "BTC"),
        ({"settlementAmount": True}, "BTC"),
        ({"settlementCurrency": None}, None),  # unknown currency: the amount means nothing
    ],
)
def test_an_amount_that_is_not_sats_received_is_none(tx: dict[str, Any], currency: str) -> None:
    paid = parse_my_update(my_update(paid_update(**tx)))
    assert paid == LnPaid("ab" * 32, None, "sale-1", currency)


def test_the_deprecated_top_level_hash_is_not_read() -> None:
    update = paid_update(initiationVia={"__typename": "InitiationViaIntraLedger"})
    update["paymentHash"] = "cd" * 32  # LnUpdate.paymentHash: deprecated, no longer selected
    assert isinstance(parse_my_update(my_update(update)), UpdateError)


REALTIME = {
    "__typename": "RealtimePrice",
    "timestamp": 1_700_000_000,
    "denominatorCurrencyDetails": {"id": "EUR", "fractionDigits": 2},
    "btcSatPrice": {"base": 6_512_345_678_901, "offset": 12},
}


def test_price_ticks_carry_the_exact_price() -> None:
    tick = parse_my_update(my_update(REALTIME))
    assert tick == PriceTick(
        1_700_000_000, Price(1_700_000_000, "EUR", 2, Decimal("6.512345678901"))
    )
    legacy = {"__typename": "Price", "base": 2197, "offset": 4, "currencyUnit": "USDCENT"}
    assert parse_my_update(my_update(legacy)) == PriceTick(
        None, Price(None, "USD", 2, Decimal("0.2197"))
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"btcSatPrice": {"base": 0, "offset": 12}},
        {"btcSatPrice": {"base": -5, "offset": 12}},
        {"btcSatPrice": {"base": 1.5, "offset": 12}},
        {"btcSatPrice": {"base": 5, "offset": 99}},
        {"btcSatPrice": None},
        {"denominatorCurrencyDetails": {"id": "EUR"}},
        {"denominatorCurrencyDetails": {"id": "", "fractionDigits": 2}},
        {"denominatorCurrencyDetails": {"id": "EUR", "fractionDigits": 40}},
    ],
)
def test_a_tick_with_an_unusable_price_is_still_a_tick(broken: dict[str, Any]) -> None:
    assert parse_my_update(my_update(REALTIME | broken)) == PriceTick(1_700_000_000, None)


def test_a_legacy_tick_in_another_unit_has_no_price() -> None:
    legacy = {"__typename": "Price", "base": 2197, "offset": 4, "currencyUnit": "BTCSAT"}
    assert parse_my_update(my_update(legacy)) == PriceTick(None, None)


@given(st.integers(min_value=1, max_value=2**53), st.integers(min_value=0, max_value=30))
def test_the_rate_is_exact(base: int, offset: int) -> None:
    rate = prices.exact_rate({"base": base, "offset": offset})
    assert rate is not None
    assert Fraction(rate) == Fraction(base, 10**offset)


def test_other_updates_and_prices() -> None:
    assert parse_my_update(my_update({"__typename": "IntraLedgerUpdate"})) == (
        OtherUpdate("IntraLedgerUpdate")
    )
    pending = {"__typename": "LnUpdate", "status": "PENDING", "transaction": {}}
    assert isinstance(parse_my_update(my_update(pending)), OtherUpdate)
    sent = paid_update(direction="SEND")
    assert parse_my_update(my_update(sent)) == OtherUpdate("LnUpdate")


def test_update_errors() -> None:
    auth = {"errors": [{"message": "Not Authenticated for subscription"}]}
    assert parse_my_update(auth) == UpdateError("Not Authenticated for subscription")
    assert isinstance(parse_my_update(my_update(None, [{"message": "x"}])), UpdateError)
    assert isinstance(parse_my_update({"data": None}), UpdateError)
    no_hash = {"__typename": "LnUpdate", "status": "PAID", "transaction": {}}
    assert isinstance(parse_my_update(my_update(no_hash)), UpdateError)


def test_invoice_status_updates() -> None:
    body = {"errors": [], "status": "PAID", "paymentHash": "CD" * 32}
    payload = {"data": {"lnInvoicePaymentStatusByHash": body}}
    assert parse_invoice_status(payload) == InvoiceStatusUpdate("cd" * 32, InvoiceStatus.PAID)
    bad = {"data": {"lnInvoicePaymentStatusByHash": {"errors": [{"message": "not found"}]}}}
    assert parse_invoice_status(bad) == UpdateError("not found")
    odd = {"data": {"lnInvoicePaymentStatusByHash": {"status": "LOST", "paymentHash": "a"}}}
    assert isinstance(parse_invoice_status(odd), UpdateError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "data",
                    "errors",
                    "myUpdates",
                    "update",
                    "__typename",
                    "status",
                    "paymentHash",
                    "transaction",
                    "message",
                    "lnInvoicePaymentStatusByHash",
                    "initiationVia",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=10,
)


@settings(suppress_health_check=[HealthCheck.too_slow])  # a Pi generates slowly; still bounded
@given(st.dictionaries(st.sampled_from(["data", "errors"]), json_values, max_size=2))
def test_parsers_never_raise_on_any_payload(payload: dict[str, Any]) -> None:
    assert parse_my_update(payload) is not None
    assert parse_invoice_status(payload) is not None


# ---- BOLT11 ----------------------------------------------------------------------------


def test_decode_accepts_either_case_and_a_lightning_prefix() -> None:
    text, payment_hash = make_invoice(777, expiry=60, date=1_700_000_000, description="Coffee")
    for variant in (text, text.upper(), "lightning:" + text, "LIGHTNING:" + text.upper()):
        decoded = decode_invoice(variant)
        assert decoded.amount_sats == 777
        assert decoded.payment_hash == payment_hash
        assert decoded.expires_at == 1_700_000_060
        assert decoded.description == "Coffee"


def test_decode_names_the_payee_node() -> None:
    # Without an ``n`` field the payee is recovered from the signature; with one, it is checked.
    recovered, _ = make_invoice(100)
    named, _ = make_invoice(100, payee_field=NODE_PUBKEY)
    assert len(named) > len(recovered)  # the n field is really there
    assert decode_invoice(recovered).payee == NODE_PUBKEY
    assert decode_invoice(named).payee == NODE_PUBKEY


def test_decode_refuses_an_invoice_naming_a_payee_that_did_not_sign_it() -> None:
    other = PrivateKey(hashlib.sha256(b"another node").digest()).public_key.format().hex()
    text, _ = make_invoice(100, payee_field=other)
    with pytest.raises(MalformedAnswer, match="not a valid Lightning invoice"):
        decode_invoice(text)


def test_decode_without_amount() -> None:
    text, _ = make_invoice(None)
    assert decode_invoice(text).amount_sats is None


@pytest.mark.parametrize("garbage", ["", "lnbc1", "hello world", "lightning:", "lnbc21u1qqqq"])
def test_decode_refuses_garbage(garbage: str) -> None:
    with pytest.raises(MalformedAnswer, match="not a valid Lightning invoice"):
        decode_invoice(garbage)


def test_decode_refuses_a_corrupted_invoice() -> None:
    text, _ = make_invoice(100)
    broken = text[:-8] + ("q" if text[-8] != "q" else "p") + text[-7:]
    with pytest.raises(MalformedAnswer):
        decode_invoice(broken)
