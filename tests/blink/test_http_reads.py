"""The reads the payout guard and pricing need: prices, currencies, Blink's nodes, an invoice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from terminal.blink import BlinkHttp, Currency, InvoiceStatus, WalletInvoice
from terminal.errors import BlinkRejected, MalformedAnswer, ScopeDenied
from terminal.secret import Secret

URL = "http://127.0.0.1:9/graphql"
KEY = Secret("BlinkPOS", "blink_READSkey0123456789abcdefXYZ")
HASH = "ab" * 32
SERVER_DATE = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)


def client(body: Any, seen: list[httpx.Request] | None = None, **headers: str) -> BlinkHttp:
    """A BlinkHttp answered with ``body`` (and ``headers``), recording requests in ``seen``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(200, json=body, headers=headers)

    return BlinkHttp(URL, KEY, transport=httpx.MockTransport(handler))


def sent(request: httpx.Request) -> dict[str, Any]:
    """The JSON body a request carried."""
    body: dict[str, Any] = json.loads(request.content)
    return body


# ---- realtime price --------------------------------------------------------------------

PRICE = {
    "id": "p",
    "timestamp": 1_772_366_400,
    "denominatorCurrencyDetails": {"id": "EUR", "symbol": "€", "fractionDigits": 2},
    "btcSatPrice": {"base": 6_512_345_678_901, "offset": 12},
}


async def test_realtime_price_is_exact_and_dated_by_blinks_clock() -> None:
    seen: list[httpx.Request] = []
    http = client(
        {"data": {"realtimePrice": PRICE}}, seen, Date=format_datetime(SERVER_DATE, usegmt=True)
    )
    price = await http.realtime_price("EUR")
    assert price.sat_price == Decimal("6.512345678901")  # minor units (cents) per sat, exactly
    assert (price.currency, price.fraction_digits, price.timestamp) == ("EUR", 2, 1_772_366_400)
    assert price.server_date == SERVER_DATE
    assert sent(seen[0])["variables"] == {"currency": "EUR"}
    assert sent(seen[0])["operationName"] == "RealtimePrice"


@pytest.mark.parametrize("date", [None, "yesterday-ish", "Sun, 01 Mar 2026 12:00:05 -0000"])
async def test_a_missing_or_unreadable_date_is_none(date: str | None) -> None:
    headers = {} if date is None else {"Date": date}
    price = await client({"data": {"realtimePrice": PRICE}}, **headers).realtime_price("EUR")
    assert price.server_date is None  # "-0000" means "zone unknown": no clock to trust


@pytest.mark.parametrize(
    "broken",
    [
        {"btcSatPrice": {"base": 0, "offset": 12}},
        {"btcSatPrice": {"base": "6512", "offset": 12}},
        {"timestamp": None},
        {"denominatorCurrencyDetails": None},
    ],
)
async def test_an_unusable_price_is_malformed(broken: dict[str, Any]) -> None:
    with pytest.raises(MalformedAnswer, match="no usable price"):
        await client({"data": {"realtimePrice": PRICE | broken}}).realtime_price("EUR")


# ---- currency list ---------------------------------------------------------------------


async def test_currency_list() -> None:
    currencies = [
        {"id": "EUR", "symbol": "€", "name": "Euro", "fractionDigits": 2},
        {"id": "JPY", "symbol": "¥", "name": "Japanese Yen", "fractionDigits": 0},
    ]
    found = await client({"data": {"currencyList": currencies}}).currency_list()
    assert found == [Currency("EUR", "€", "Euro", 2), Currency("JPY", "¥", "Japanese Yen", 0)]


@pytest.mark.parametrize(
    "listing", [None, "EUR", [None], [{"id": "EUR", "symbol": "€", "name": "Euro"}]]
)
async def test_a_broken_currency_list_is_malformed(listing: object) -> None:
    with pytest.raises(MalformedAnswer):
        await client({"data": {"currencyList": listing}}).currency_list()


# ---- Blink's nodes ---------------------------------------------------------------------


async def test_node_ids_are_lower_case_hex() -> None:
    nodes = ["02AB" + "00" * 31, "03cd" + "11" * 31]
    body = {"data": {"globals": {"network": "mainnet", "nodesIds": nodes}}}
    assert await client(body).node_ids() == frozenset(n.lower() for n in nodes)


@pytest.mark.parametrize("nodes", [[], None, [""], [7]])
async def test_no_usable_node_list_is_malformed(nodes: object) -> None:
    # An empty set would make every intraledger check fail closed, silently: say it instead.
    body = {"data": {"globals": {"network": "mainnet", "nodesIds": nodes}}}
    with pytest.raises(MalformedAnswer, match="node ids"):
        await client(body).node_ids()


# ---- one invoice of a wallet -----------------------------------------------------------


def invoice_answer(invoice: dict[str, Any]) -> dict[str, Any]:
    """The answer to InvoiceByHash carrying ``invoice``."""
    wallet = {"invoiceByPaymentHash": invoice}
    return {"data": {"me": {"defaultAccount": {"walletById": wallet}}}}


async def test_invoice_by_hash_reads_status_and_amount() -> None:
    seen: list[httpx.Request] = []
    body = invoice_answer({"paymentHash": HASH.upper(), "paymentStatus": "PAID", "satoshis": 2100})
    found = await client(body, seen).invoice_by_hash("w1", HASH)
    assert found == WalletInvoice(HASH, InvoiceStatus.PAID, 2100)
    assert sent(seen[0])["variables"] == {"walletId": "w1", "paymentHash": HASH}
    assert seen[0].headers["X-API-KEY"] == KEY.reveal()


async def test_invoice_by_hash_of_a_no_amount_invoice() -> None:
    body = invoice_answer({"paymentHash": HASH, "paymentStatus": "PENDING"})
    assert await client(body).invoice_by_hash("w1", HASH) == WalletInvoice(
        HASH, InvoiceStatus.PENDING, None
    )


async def test_an_invoice_the_wallet_does_not_have_is_none() -> None:
    # Blink's answer (CouldNotFindWalletInvoiceError), null all the way up to the nullable me.
    message = f"User tried to pay invoice with hash {HASH}, but it does not exist"
    body = {
        "data": {"me": None},
        "errors": [{"message": message, "extensions": {"code": "LIGHTNING_PAYMENT_ERROR"}}],
    }
    assert await client(body).invoice_by_hash("w1", HASH) is None


async def test_without_read_the_lookup_is_a_scope_denial() -> None:
    body = {"data": {"me": None}, "errors": [{"message": "Not authorized to read data"}]}
    with pytest.raises(ScopeDenied) as caught:
        await client(body).invoice_by_hash("w1", HASH)
    assert caught.value.scope == "READ"


async def test_another_refusal_is_not_read_as_no_invoice() -> None:
    body = {"data": {"me": None}, "errors": [{"message": "Invalid walletId for account."}]}
    with pytest.raises(BlinkRejected, match="Invalid walletId"):
        await client(body).invoice_by_hash("w-other", HASH)


async def test_an_unknown_invoice_status_is_malformed() -> None:
    body = invoice_answer({"paymentHash": HASH, "paymentStatus": "LOST", "satoshis": 1})
    with pytest.raises(MalformedAnswer):
        await client(body).invoice_by_hash("w1", HASH)
