"""Prices: currencyList, realtimePrice (query and subscription), myUpdates' ticks, moving and
stale rates. The documents are the ones the terminal's client sends next (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from fractions import Fraction
from typing import Any

import httpx
import pytest

from terminal.sandbox import Sandbox
from terminal.sandbox.prices import PRICE_OFFSET
from tests.sandbox.helpers import WsClient, control, gql, wait_until
from tests.support.timing import scaled

CURRENCY_LIST = "query CurrencyList { currencyList { id symbol name fractionDigits } }"
REALTIME_PRICE = """
query RealtimePrice($currency: DisplayCurrency) {
  realtimePrice(currency: $currency) {
    id timestamp denominatorCurrencyDetails { id symbol fractionDigits } btcSatPrice { base offset }
  }
}
"""
PRICE_UPDATES = """
subscription RealtimePriceUpdates($input: RealtimePriceInput!) {
  realtimePrice(input: $input) {
    errors { message }
    realtimePrice {
      timestamp denominatorCurrencyDetails { id fractionDigits } btcSatPrice { base offset }
    }
  }
}
"""
MY_PRICES = """
subscription MyUpdates {
  myUpdates {
    errors { message }
    update {
      __typename
      ... on RealtimePrice {
        timestamp denominatorCurrencyDetails { id } btcSatPrice { base offset }
      }
      ... on Price { base offset currencyUnit formattedAmount }
    }
  }
}
"""


def minor_per_sat(price: Any) -> Fraction:
    return Fraction(price["base"], 10 ** price["offset"])


async def _price(sb: Sandbox, currency: str | None = None, key: str | None = None) -> Any:
    variables = {"currency": currency} if currency else {}
    answer = (await gql(sb, REALTIME_PRICE, variables, key)).json()
    assert "errors" not in answer, answer
    return answer["data"]["realtimePrice"]


async def test_currency_list_has_real_decimals(sandbox: Sandbox) -> None:
    listed = (await gql(sandbox, CURRENCY_LIST)).json()["data"]["currencyList"]
    digits = {c["id"]: c["fractionDigits"] for c in listed}
    assert digits == {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "JPY": 0}
    assert next(c for c in listed if c["id"] == "EUR")["symbol"] == "€"


@pytest.mark.parametrize(("code", "fiat_per_btc"), [("USD", 100_000), ("EUR", 92_000)])
async def test_realtime_price_is_minor_units_per_sat(
    sandbox: Sandbox, code: str, fiat_per_btc: int
) -> None:
    price = await _price(sandbox, code)
    assert price["denominatorCurrencyDetails"]["id"] == code
    assert price["btcSatPrice"]["offset"] == PRICE_OFFSET
    # cents per sat = fiat per BTC * 100 / 10^8
    assert minor_per_sat(price["btcSatPrice"]) == Fraction(fiat_per_btc * 100, 10**8)


async def test_yen_has_no_minor_unit(sandbox: Sandbox) -> None:
    price = await _price(sandbox, "JPY")
    assert price["denominatorCurrencyDetails"]["fractionDigits"] == 0
    assert minor_per_sat(price["btcSatPrice"]) == Fraction(15_500_000, 10**8)


async def test_realtime_price_defaults_to_usd_whoever_asks(sandbox: Sandbox) -> None:
    # Blink's argument has a default of "USD": the account's display currency does not matter.
    await control(sandbox, "accounts", {"username": "merchant", "displayCurrency": "EUR"})
    price = await _price(sandbox, key=sandbox.keys["merchant"])
    assert price["denominatorCurrencyDetails"]["id"] == "USD"


async def test_unknown_currency_is_a_top_level_error(sandbox: Sandbox) -> None:
    answer = (await gql(sandbox, REALTIME_PRICE, {"currency": "XYZ"})).json()
    assert answer["data"] is None
    assert "XYZ" in answer["errors"][0]["message"]


async def test_control_moves_a_rate(sandbox: Sandbox) -> None:
    await control(sandbox, "prices", {"currency": "EUR", "fiatPerBtc": 95_000.5})
    assert minor_per_sat((await _price(sandbox, "EUR"))["btcSatPrice"]) == Fraction(
        9_500_050, 10**8
    )
    moved = {"currency": "GBP", "btcSatPrice": {"base": 77_000_000_000, "offset": 12}}
    listed = await control(sandbox, "prices", moved)
    assert listed["currencies"]["GBP"]["btcSatPrice"] == {"base": 77_000_000_000, "offset": 12}
    assert minor_per_sat((await _price(sandbox, "GBP"))["btcSatPrice"]) == Fraction(77, 1000)


async def test_control_lists_a_new_currency_with_its_decimals(sandbox: Sandbox) -> None:
    body = {"currency": "KWD", "fiatPerBtc": 30_000, "fractionDigits": 3, "symbol": "KD"}
    await control(sandbox, "prices", body)
    price = await _price(sandbox, "KWD")
    assert price["denominatorCurrencyDetails"] == {"id": "KWD", "symbol": "KD", "fractionDigits": 3}
    assert minor_per_sat(price["btcSatPrice"]) == Fraction(30_000 * 1000, 10**8)


async def test_control_refuses_bad_prices(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        for body in (
            {"currency": "EUR", "fiatPerBtc": -1},
            {"currency": "XYZ", "fiatPerBtc": 1},  # unlisted and no fractionDigits
            {"currency": "EUR"},
        ):
            answer = await client.post(f"{sandbox.control_url}/prices", json=body)
            assert answer.status_code == 400, body


async def test_stale_prices_keep_their_timestamp(sandbox: Sandbox) -> None:
    await control(sandbox, "prices", {"stalePrices": True})
    frozen = (await _price(sandbox, "EUR"))["timestamp"]
    sandbox.clock.advance(600)
    assert (await _price(sandbox, "EUR"))["timestamp"] == frozen
    await control(sandbox, "faults", {"clear": True})  # the price service is back
    assert (await _price(sandbox, "EUR"))["timestamp"] >= frozen + 600


@pytest.fixture
async def ticking() -> AsyncIterator[Sandbox]:
    async with Sandbox(price_interval=scaled(0.1)) as sb:
        yield sb


async def test_stale_prices_stop_the_ticks(ticking: Sandbox) -> None:
    client = await WsClient.open(ticking)
    await client.subscribe("p", PRICE_UPDATES, {"input": {"currency": "EUR"}})
    await client.next_for("p")
    await client.next_for("p")  # ticking
    ticking.prices.set_stale(True)
    rounds = ticking.stats.price_rounds
    await wait_until(lambda: ticking.stats.price_rounds >= rounds + 3)
    assert await client.expect_quiet("p") == []
    await client.close()


async def test_realtime_price_subscription_emits_at_once_then_ticks(ticking: Sandbox) -> None:
    client = await WsClient.open(ticking)
    await client.subscribe("p", PRICE_UPDATES, {"input": {"currency": "JPY"}})
    for _ in range(3):
        payload = (await client.next_for("p"))["payload"]["data"]["realtimePrice"]
        assert payload["errors"] == []
        assert payload["realtimePrice"]["denominatorCurrencyDetails"] == {
            "id": "JPY",
            "fractionDigits": 0,
        }
    await client.close()


async def test_realtime_price_subscription_of_unknown_currency(sandbox: Sandbox) -> None:
    client = await WsClient.open(sandbox)
    await client.subscribe("p", PRICE_UPDATES, {"input": {"currency": "XYZ"}})
    payload = (await client.next_for("p"))["payload"]["data"]["realtimePrice"]
    assert payload["realtimePrice"] is None
    assert "XYZ" in payload["errors"][0]["message"]
    assert await client.expect_quiet("p") == []  # open, like Blink's
    await client.close()


async def test_usd_account_gets_price_then_realtime_price(ticking: Sandbox) -> None:
    client = await WsClient.open(ticking, ticking.keys["merchant"])
    await client.subscribe("u", MY_PRICES)
    kinds = []
    for _ in range(4):  # at subscribe time, then one tick
        kinds.append((await client.next_for("u"))["payload"]["data"]["myUpdates"]["update"])
    assert [k["__typename"] for k in kinds] == ["Price", "RealtimePrice"] * 2
    price = kinds[0]
    assert price["currencyUnit"] == "USDCENT"
    assert minor_per_sat(price) == Fraction(1, 10)  # 0.1 cent per sat at USD 100 000
    assert price["formattedAmount"] == "0.1"
    await client.close()


async def test_other_display_currency_gets_no_price(ticking: Sandbox) -> None:
    await control(ticking, "accounts", {"username": "merchant", "displayCurrency": "EUR"})
    client = await WsClient.open(ticking, ticking.keys["merchant"])
    await client.subscribe("u", MY_PRICES)
    updates = [
        (await client.next_for("u"))["payload"]["data"]["myUpdates"]["update"] for _ in range(3)
    ]
    assert {u["__typename"] for u in updates} == {"RealtimePrice"}
    assert {u["denominatorCurrencyDetails"]["id"] for u in updates} == {"EUR"}
    await client.close()


async def test_display_currency_is_in_me_and_must_be_listed(sandbox: Sandbox) -> None:
    await control(sandbox, "accounts", {"username": "customer", "displayCurrency": "CHF"})
    me = "query Me { me { defaultAccount { displayCurrency } } }"
    answer = (await gql(sandbox, me, key=sandbox.keys["customer"])).json()
    assert answer["data"]["me"]["defaultAccount"]["displayCurrency"] == "CHF"
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        body = {"username": "customer", "displayCurrency": "XYZ"}
        refused = await client.post(f"{sandbox.control_url}/accounts", json=body)
    assert refused.status_code == 400
