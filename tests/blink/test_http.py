"""BlinkHttp against httpx's MockTransport: every answer shape maps to a value or the tree."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from terminal.blink import (
    DEFAULT_RETRY_AFTER,
    BlinkHttp,
    InvoiceStatus,
    PaymentStatus,
    parse_retry_after,
)
from terminal.blink.answers import MAX_RETRY_AFTER
from terminal.errors import (
    BlinkError,
    BlinkRejected,
    BlinkUnreachable,
    InsufficientBalance,
    InvoiceExpired,
    KeyRejected,
    MalformedAnswer,
    RateLimited,
    ScopeDenied,
)
from terminal.secret import Secret
from tests.blink.invoices import make_invoice
from tests.support.timing import scaled

KEY_VALUE = "blink_TESTkey0123456789abcdefXYZ"
URL = "http://127.0.0.1:9/graphql"

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, key: Secret | None = None) -> BlinkHttp:
    """A BlinkHttp whose every request is answered by ``handler``."""
    return BlinkHttp(
        URL,
        key if key is not None else Secret("BlinkPOS", KEY_VALUE),
        key_name="BlinkPOS",
        transport=httpx.MockTransport(handler),
    )


def answering(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    """A handler that answers every request with ``body`` as JSON."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


def payload_error(field: str, message: str, code: str | None, *, nested: bool = False) -> Any:
    """A mutation answer whose payload carries one business error."""
    error: dict[str, Any] = {"message": message, "path": None}
    if code is not None:
        error["extensions" if nested else "code"] = {"code": code} if nested else code
    return {"data": {field: {"invoice": None, "status": "FAILURE", "errors": [error]}}}


@pytest.fixture
def seen() -> list[httpx.Request]:
    """Requests a recording handler saw."""
    return []


# ---- successful operations -------------------------------------------------------------


async def test_me_parses_wallets_and_sends_the_key_only_in_its_header(
    seen: list[httpx.Request],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "data": {
                    "me": {
                        "id": "u1",
                        "username": "pos",
                        "defaultAccount": {
                            "id": "a1",
                            "displayCurrency": "USD",
                            "defaultWallet": {"id": "w-btc", "currency": "BTC"},
                            "wallets": [
                                {
                                    "id": "w-btc",
                                    "walletCurrency": "BTC",
                                    "balance": 1234,
                                    "pendingIncomingBalance": 0,
                                },
                                {
                                    "id": "w-usd",
                                    "walletCurrency": "USD",
                                    "balance": 99,
                                    "pendingIncomingBalance": 0,
                                },
                            ],
                        },
                    }
                }
            },
        )

    http = client(handler)
    account = await http.me()
    await http.aclose()
    assert account.id == "u1"
    assert account.default_wallet_id == "w-btc"
    assert [(w.id, w.currency, w.balance) for w in account.wallets] == [
        ("w-btc", "BTC", 1234),
        ("w-usd", "USD", 99),
    ]
    assert account.wallet("USD") is not None
    assert account.wallet("USD").id == "w-usd"  # type: ignore[union-attr]
    request = seen[0]
    assert request.headers["X-API-KEY"] == KEY_VALUE
    body = json.loads(request.content)
    assert "query Me" in body["query"]
    assert KEY_VALUE not in repr(http)


async def test_no_key_sends_no_key_header(seen: list[httpx.Request]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = {"status": "PAID", "paymentHash": "ab", "paymentRequest": "x"}
        return httpx.Response(200, json={"data": {"lnInvoicePaymentStatusByHash": status}})

    http = BlinkHttp(URL, None, key_name="merchant", transport=httpx.MockTransport(handler))
    assert await http.invoice_status("ab") is InvoiceStatus.PAID
    await http.aclose()
    assert "X-API-KEY" not in seen[0].headers
    body = json.loads(seen[0].content)
    assert body["variables"] == {"input": {"paymentHash": "ab"}}
    # The operation is named, so the server (and the sandbox's fault injection) can tell it.
    assert body["operationName"] == "InvoiceStatusByHash"
    assert f"query {body['operationName']}" in body["query"]


async def test_scopes_and_default_wallet() -> None:
    http = client(answering({"data": {"authorization": {"scopes": ["READ", "RECEIVE"]}}}))
    assert await http.scopes() == frozenset({"READ", "RECEIVE"})
    http = client(answering({"data": {"accountDefaultWallet": {"id": "w9", "currency": "BTC"}}}))
    wallet = await http.default_wallet("shop")
    assert (wallet.id, wallet.currency) == ("w9", "BTC")


@pytest.mark.parametrize("on_behalf", [False, True])
async def test_create_invoice_sends_inputs_and_reads_expiry_from_the_bolt11(
    seen: list[httpx.Request], on_behalf: bool
) -> None:
    request_text, payment_hash = make_invoice(2100, expiry=900, date=1_700_000_000)
    field = "lnInvoiceCreateOnBehalfOfRecipient" if on_behalf else "lnInvoiceCreate"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        invoice = {
            "paymentRequest": request_text,
            "paymentHash": payment_hash,
            "paymentSecret": "00",
            "satoshis": 2100,
            "paymentStatus": "PENDING",
            "externalId": "sale-7",
            "createdAt": 1_700_000_000,
        }
        return httpx.Response(200, json={"data": {field: {"invoice": invoice, "errors": []}}})

    http = client(handler)
    make = http.create_invoice_on_behalf if on_behalf else http.create_invoice
    invoice = await make("w1", 2100, memo="Table 4", expires_in_minutes=15, external_id="sale-7")
    assert invoice.payment_hash == payment_hash
    assert invoice.satoshis == 2100
    assert invoice.expires_at == 1_700_000_900
    assert invoice.external_id == "sale-7"
    sent = json.loads(seen[0].content)["variables"]["input"]
    wallet_field = "recipientWalletId" if on_behalf else "walletId"
    assert sent == {
        wallet_field: "w1",
        "amount": 2100,
        "memo": "Table 4",
        "expiresIn": 15,
        "externalId": "sale-7",
    }


async def test_an_invoice_whose_hash_disagrees_with_its_bolt11_is_refused() -> None:
    request_text, _ = make_invoice(2100)
    invoice = {"paymentRequest": request_text, "paymentHash": "ff" * 32, "satoshis": 2100}
    http = client(answering({"data": {"lnInvoiceCreate": {"invoice": invoice, "errors": []}}}))
    with pytest.raises(MalformedAnswer):
        await http.create_invoice("w1", 2100)


async def test_realtime_price() -> None:
    price = {
        "id": "p",
        "timestamp": 1_700_000_000,
        "denominatorCurrencyDetails": {"id": "EUR", "symbol": "€", "fractionDigits": 2},
        "btcSatPrice": {"base": 6_500_000_000, "offset": 12},
        "usdCentPrice": {"base": 100_000_000_000, "offset": 12},
    }
    http = client(answering({"data": {"realtimePrice": price}}))
    result = await http.realtime_price("EUR")
    assert result.currency == "EUR"
    assert result.timestamp == 1_700_000_000
    assert result.sats_for(1000) == round(1000 / 0.0065)


# ---- payments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "settled"),
    [("SUCCESS", True), ("ALREADY_PAID", True), ("PENDING", False), ("FAILURE", False)],
)
async def test_payment_statuses_are_values(status: str, settled: bool) -> None:
    body: Any = {"data": {"lnInvoicePaymentSend": {"status": status, "errors": []}}}
    outcome = await client(answering(body)).pay_invoice("w1", "lnbc1...")
    assert outcome.status is PaymentStatus(status)
    assert outcome.settled is settled


async def test_a_late_repeat_payment_is_a_failure_value_not_an_error() -> None:
    body = payload_error(
        "lnInvoicePaymentSend", "Invoice is already paid", "LIGHTNING_PAYMENT_ERROR", nested=True
    )
    outcome = await client(answering(body)).pay_invoice("w1", "lnbc1...")
    assert outcome.status is PaymentStatus.FAILURE
    assert not outcome.settled
    assert outcome.errors[0].code == "LIGHTNING_PAYMENT_ERROR"
    assert "already paid" in outcome.errors[0].message


async def test_a_null_status_is_a_failure_with_its_errors() -> None:
    body = {"data": {"lnInvoicePaymentSend": {"status": None, "errors": [{"message": "bad"}]}}}
    outcome = await client(answering(body)).pay_invoice("w1", "lnbc1...")
    assert outcome.status is PaymentStatus.FAILURE
    assert outcome.errors[0].message == "bad"


async def test_insufficient_balance_raises() -> None:
    body = payload_error("lnInvoicePaymentSend", "balance is too low", "INSUFFICIENT_BALANCE")
    with pytest.raises(InsufficientBalance) as caught:
        await client(answering(body)).pay_invoice("w1", "lnbc1...")
    assert caught.value.code == "INSUFFICIENT_BALANCE"


async def test_unknown_payment_status_is_malformed() -> None:
    body = {"data": {"lnInvoicePaymentSend": {"status": "MAYBE", "errors": []}}}
    with pytest.raises(MalformedAnswer):
        await client(answering(body)).pay_invoice("w1", "lnbc1...")


# ---- error mapping ---------------------------------------------------------------------


async def test_401_is_key_rejected_naming_the_key_not_its_value() -> None:
    with pytest.raises(KeyRejected) as caught:
        await client(answering({"error": "unauthorized"}, status=401)).me()
    assert caught.value.key_name == "BlinkPOS"
    assert "BlinkPOS" in str(caught.value)
    assert KEY_VALUE not in str(caught.value)


@pytest.mark.parametrize("nested", [False, True])
async def test_top_level_scope_denial(nested: bool) -> None:
    error: dict[str, Any] = {"message": "Not authorized to read data", "path": ["me"]}
    if nested:
        error["extensions"] = {"code": "NOT_AUTHORIZED"}
    with pytest.raises(ScopeDenied) as caught:
        await client(answering({"data": {"me": None}, "errors": [error]})).me()
    assert (caught.value.key_name, caught.value.scope) == ("BlinkPOS", "READ")


async def test_in_payload_scope_denial_on_invoice_creation() -> None:
    body = payload_error("lnInvoiceCreate", "not authorized to execute mutations", None)
    with pytest.raises(ScopeDenied) as caught:
        await client(answering(body)).create_invoice("w1", 10)
    assert caught.value.scope == "RECEIVE"


async def test_in_payload_scope_denial_on_payment_raises() -> None:
    body = payload_error("lnInvoicePaymentSend", "Not authorized", "NOT_AUTHORIZED", nested=True)
    with pytest.raises(ScopeDenied) as caught:
        await client(answering(body)).pay_invoice("w1", "lnbc1...")
    assert caught.value.scope == "WRITE"


@pytest.mark.parametrize(
    ("message", "code", "nested", "kind"),
    [
        (
            "External id for invoice or transaction already exists",
            "INVALID_INPUT",
            False,
            BlinkRejected,
        ),
        ("This account can no longer receive payments", "RECEIVE_DISABLED", True, BlinkRejected),
        ("Invoice already expired", "LIGHTNING_PAYMENT_ERROR", True, InvoiceExpired),
    ],
)
async def test_business_errors_on_invoice_creation(
    message: str, code: str, nested: bool, kind: type[BlinkRejected]
) -> None:
    body = payload_error("lnInvoiceCreate", message, code, nested=nested)
    with pytest.raises(kind) as caught:
        await client(answering(body)).create_invoice("w1", 10)
    assert caught.value.code == code
    assert caught.value.blink_message == message


async def test_too_many_requests_in_payload_is_rate_limited() -> None:
    body = payload_error(
        "lnInvoiceCreateOnBehalfOfRecipient",
        "Too many invoices creation, please wait",
        "TOO_MANY_REQUEST",
    )
    with pytest.raises(RateLimited) as caught:
        await client(answering(body)).create_invoice_on_behalf("w1", 10)
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("header", "expected"), [({"Retry-After": "12"}, 12.0), ({}, DEFAULT_RETRY_AFTER)]
)
async def test_http_429(header: dict[str, str], expected: float) -> None:
    with pytest.raises(RateLimited) as caught:
        await client(answering({}, status=429, headers=header)).scopes()
    assert caught.value.retry_after == expected


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(90.0)
    assert parse_retry_after("soon") == DEFAULT_RETRY_AFTER


@pytest.mark.parametrize("header", ["inf", "1e999", "86400", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_retry_after_never_exceeds_blinks_longest_block(header: str) -> None:
    # An unbounded wait would stop forwarding for good and leave the money on BlinkPOS.
    assert parse_retry_after(header) == MAX_RETRY_AFTER == 300.0


@pytest.mark.parametrize("header", ["-5", "nan", "Thu, 01 Jan 2015 00:00:00 GMT"])
def test_retry_after_in_the_past_or_nonsense_is_no_wait(header: str) -> None:
    assert parse_retry_after(header) == 0.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_unreachable(status: int) -> None:
    with pytest.raises(BlinkUnreachable) as caught:
        await client(answering({"error": "boom"}, status=status)).invoice_status("ab")
    assert not isinstance(caught.value, RateLimited)
    assert caught.value.retryable


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("reset")],
)
async def test_transport_failures_are_unreachable(failure: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(BlinkUnreachable) as caught:
        await client(handler).me()
    assert caught.value.__cause__ is failure


@pytest.mark.parametrize(
    "content",
    [
        b"<html>bad gateway</html>",
        b"[1, 2]",
        b"\xff\xfe",
        b'{"data": null}',
        b'{"data": {"me": {"id": "u"}}}',
        b"[" * 100_000,  # json.loads raises RecursionError, not ValueError
    ],
    ids=lambda content: repr(content[:20]),
)
async def test_garbage_answers_are_malformed(content: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content)

    with pytest.raises(MalformedAnswer):
        await client(handler).me()


async def test_a_real_silent_server_times_out() -> None:
    """A loopback server that accepts and never answers: the client's timeout fires."""
    done = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = BlinkHttp(f"http://127.0.0.1:{port}/graphql", Secret("BlinkPOS", KEY_VALUE), timeout=0.2)
    try:
        with pytest.raises(BlinkUnreachable, match="did not answer"):
            async with asyncio.timeout(scaled(5)):
                await http.scopes()
    finally:
        done.set()
        await http.aclose()
        server.close()
        await server.wait_closed()


async def test_no_error_text_ever_holds_the_key() -> None:
    """Every failure path, with a peer that echoes the key back in its messages."""
    echo = f"bad key {KEY_VALUE}"
    bodies: list[tuple[Any, int]] = [
        ({}, 401),
        ({}, 429),
        ({}, 500),
        (b"not json " + KEY_VALUE.encode(), 200),
        ({"data": {"me": None}, "errors": [{"message": echo}]}, 200),
        (payload_error("lnInvoiceCreate", echo, "INVALID_INPUT"), 200),
    ]
    for body, status in bodies:

        def handler(
            request: httpx.Request, body: Any = body, status: int = status
        ) -> httpx.Response:
            if isinstance(body, bytes):
                return httpx.Response(status, content=body)
            return httpx.Response(status, json=body)

        http = client(handler)
        for call in (http.me(), http.create_invoice("w1", 1)):
            with pytest.raises(BlinkError) as caught:
                await call
            assert KEY_VALUE not in str(caught.value)
            assert KEY_VALUE not in repr(caught.value)


async def test_every_call_tells_the_listener_whether_blink_answered_at_all() -> None:
    heard: list[bool] = []
    fail: list[BaseException] = [httpx.ConnectError("refused")]

    def handler(request: httpx.Request) -> httpx.Response:
        if fail:
            raise fail.pop()
        return httpx.Response(200, json={"errors": [{"message": "no such invoice"}]})

    http = BlinkHttp(
        URL,
        Secret("BlinkPOS", KEY_VALUE),
        transport=httpx.MockTransport(handler),
        on_reach=heard.append,
    )
    with pytest.raises(BlinkUnreachable):
        await http.invoice_status("ab")
    # An answer that is an error is still an answer: the network and Blink are there.
    with pytest.raises(BlinkError):
        await http.invoice_status("ab")
    assert heard == [False, True]
    broken = BlinkHttp(
        URL, None, transport=httpx.MockTransport(answering({}, 503)), on_reach=heard.append
    )
    with pytest.raises(BlinkUnreachable):
        await broken.realtime_price()
    assert heard == [False, True, False]  # a 5xx: Blink itself is down
