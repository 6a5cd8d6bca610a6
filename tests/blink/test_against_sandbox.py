"""The Blink client against the sandbox over real loopback HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from terminal.blink import (
    BlinkHttp,
    BlinkSocket,
    InvoiceStatus,
    InvoiceStatusUpdate,
    LnPaid,
    PaymentStatus,
    PriceTick,
    Subscription,
    WalletInvoice,
    decode_invoice,
    documents,
    parse_invoice_status,
    parse_my_update,
)
from terminal.errors import InsufficientBalance, KeyRejected, ScopeDenied
from terminal.links import LinkState
from terminal.sandbox import Sandbox
from terminal.secret import Secret
from tests.blink.socket_helpers import Links, running_socket
from tests.support.timing import scaled

WRONG_KEY = "blink_WRONGkey0123456789abcdefXYZ"


def key(sandbox: Sandbox, name: str) -> Secret:
    """One of the sandbox's keys, as the terminal holds keys."""
    return Secret(name, sandbox.keys[name])


@asynccontextmanager
async def http_for(sandbox: Sandbox, name: str | None) -> AsyncIterator[BlinkHttp]:
    """A BlinkHttp with one of the sandbox's keys (or none), closed afterwards."""
    http = BlinkHttp(
        sandbox.http_url,
        key(sandbox, name) if name else None,
        key_name=name or "none",
        timeout=scaled(5),
    )
    try:
        yield http
    finally:
        await http.aclose()


def no_wait() -> Iterator[float]:
    """Reconnect at once."""
    return itertools.repeat(0.0)


@asynccontextmanager
async def socket_for(
    sandbox: Sandbox, secret: Secret | None, links: Links
) -> AsyncIterator[BlinkSocket]:
    """A running BlinkSocket on the sandbox; closed (and run() checked) afterwards."""
    socket = BlinkSocket(
        sandbox.ws_url,
        secret,
        name="BlinkPOS",
        on_link=links,
        backoff=no_wait,
        open_timeout=scaled(5),
        rejected_retry=3600.0,
    )
    async with running_socket(socket):
        yield socket


async def first_matching(
    sub: Subscription, parse: object, kind: type, where: object = None
) -> object:
    """The first payload of ``sub`` that parses to ``kind`` (and satisfies ``where``)."""
    assert callable(parse)
    async with asyncio.timeout(scaled(5)):
        async for payload in sub:
            value = parse(payload)
            if isinstance(value, kind) and (where is None or where(value)):  # type: ignore[operator]
                return value
    raise AssertionError("the subscription ended")


# ---- HTTP ------------------------------------------------------------------------------


async def test_http_auth_and_account(sandbox: Sandbox) -> None:
    async with http_for(sandbox, "blinkpos") as http:
        account = await http.me()
        assert account.default_wallet_id == sandbox.wallet_id("blinkpos")
        assert await http.scopes() == frozenset({"READ", "RECEIVE", "WRITE"})


async def test_http_bad_key_is_rejected_without_leaking(sandbox: Sandbox) -> None:
    http = BlinkHttp(sandbox.http_url, Secret("BlinkPOS", WRONG_KEY), timeout=scaled(5))
    with pytest.raises(KeyRejected) as caught:
        await http.me()
    await http.aclose()
    assert WRONG_KEY not in str(caught.value)


async def test_http_scope_denials(sandbox: Sandbox) -> None:
    async with http_for(sandbox, "blinkpos_receive_only") as http:
        with pytest.raises(ScopeDenied) as caught:
            await http.me()
        assert caught.value.scope == "READ"
    async with http_for(sandbox, "blinkpos_read_only") as http:
        with pytest.raises(ScopeDenied) as denied:
            await http.create_invoice(sandbox.wallet_id("blinkpos"), 100)
        assert denied.value.scope == "RECEIVE"


async def test_every_operation_through_a_whole_sale(sandbox: Sandbox) -> None:
    async with http_for(sandbox, "blinkpos") as pos, http_for(sandbox, None) as public:
        merchant = await public.default_wallet("merchant")
        assert merchant.id == sandbox.wallet_id("merchant")
        price = await public.realtime_price("USD")
        assert price.sat_price > 0

        sale = await pos.create_invoice(
            sandbox.wallet_id("blinkpos"),
            2100,
            memo="Table 4",
            expires_in_minutes=15,
            external_id="sale-0001",
        )
        payout = await public.create_invoice_on_behalf(
            merchant.id, 2100, memo="Table 4", expires_in_minutes=24 * 60
        )
        assert sale.external_id == "sale-0001"
        assert (sale.satoshis, payout.satoshis) == (2100, 2100)
        assert await public.invoice_status(sale.payment_hash) is InvoiceStatus.PENDING

        assert await sandbox.pay(sale.payment_request, payer="customer") == "SUCCESS"
        assert await public.invoice_status(sale.payment_hash) is InvoiceStatus.PAID

        outcome = await pos.pay_invoice(sandbox.wallet_id("blinkpos"), payout.payment_request)
        assert outcome.status is PaymentStatus.SUCCESS
        again = await pos.pay_invoice(sandbox.wallet_id("blinkpos"), payout.payment_request)
        assert again.settled or again.status is PaymentStatus.FAILURE
        assert await public.invoice_status(payout.payment_hash) is InvoiceStatus.PAID
        assert sandbox.balance("merchant") == 2100


async def test_paying_more_than_the_balance(sandbox: Sandbox) -> None:
    async with http_for(sandbox, "blinkpos") as pos:
        big = await pos.create_invoice_on_behalf(sandbox.wallet_id("merchant"), 50_000)
        with pytest.raises(InsufficientBalance):
            await pos.pay_invoice(sandbox.wallet_id("blinkpos"), big.payment_request)


# ---- WebSocket -------------------------------------------------------------------------


async def test_socket_sees_prices_and_the_payment(sandbox: Sandbox) -> None:
    links = Links()
    async with http_for(sandbox, "blinkpos") as pos:
        sale = await pos.create_invoice(sandbox.wallet_id("blinkpos"), 777, external_id="s-2")
        async with socket_for(sandbox, key(sandbox, "blinkpos"), links) as socket:
            updates = socket.subscribe(documents.MY_UPDATES)
            status = socket.subscribe(
                documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION,
                {"input": {"paymentHash": sale.payment_hash}},
            )
            tick = await first_matching(updates, parse_my_update, PriceTick)
            assert isinstance(tick, PriceTick)
            assert tick.price is not None
            assert (tick.price.currency, tick.price.timestamp) == ("USD", tick.timestamp)
            assert tick.price.sat_price > 0
            pending = await first_matching(status, parse_invoice_status, InvoiceStatusUpdate)
            assert isinstance(pending, InvoiceStatusUpdate)
            assert pending.status is InvoiceStatus.PENDING
            await sandbox.pay(sale.payment_request)
            paid = await first_matching(updates, parse_my_update, LnPaid)
            assert isinstance(paid, LnPaid)
            assert (paid.payment_hash, paid.amount_sats) == (sale.payment_hash, 777)
            assert paid.currency == "BTC"
            assert paid.external_id == "s-2"
            done = await first_matching(
                status,
                parse_invoice_status,
                InvoiceStatusUpdate,
                lambda u: u.status is InvoiceStatus.PAID,
            )
            assert isinstance(done, InvoiceStatusUpdate)
            assert links.count(LinkState.UP) == 1


async def test_socket_bad_key_is_rejected(sandbox: Sandbox) -> None:
    links = Links()
    async with socket_for(sandbox, Secret("BlinkPOS", WRONG_KEY), links) as socket:
        socket.subscribe(documents.MY_UPDATES)
        await links.wait_for(lambda: links.count(LinkState.REJECTED) == 1)
        assert all(WRONG_KEY not in reason for _, reason in links.seen)


async def test_reconnect_after_dropped_sockets_resubscribes(sandbox: Sandbox) -> None:
    links = Links()
    async with http_for(sandbox, "blinkpos") as pos:
        sale = await pos.create_invoice(sandbox.wallet_id("blinkpos"), 1500)
        async with socket_for(sandbox, key(sandbox, "blinkpos"), links) as socket:
            status = socket.subscribe(
                documents.INVOICE_STATUS_BY_HASH_SUBSCRIPTION,
                {"input": {"paymentHash": sale.payment_hash}},
            )
            await first_matching(status, parse_invoice_status, InvoiceStatusUpdate)
            assert sandbox.faults.drop_sockets() >= 1
            # Paid while the link may be down: no replay, so only re-subscribing recovers it.
            await sandbox.pay(sale.payment_request)
            await links.wait_for(lambda: links.count(LinkState.UP) >= 2)
            paid = await first_matching(
                status,
                parse_invoice_status,
                InvoiceStatusUpdate,
                lambda u: u.status is InvoiceStatus.PAID,
            )
            assert isinstance(paid, InvoiceStatusUpdate)
            assert paid.payment_hash == sale.payment_hash


# ---- the reads the payout guard and pricing need -----------------------------------------


async def test_price_node_ids_and_an_invoice_of_the_wallet(sandbox: Sandbox) -> None:
    async with http_for(sandbox, "blinkpos") as pos, http_for(sandbox, None) as public:
        price = await public.realtime_price("USD")
        assert price.sat_price > 0
        assert price.currency == "USD"
        assert price.server_date is not None
        assert price.server_date.tzinfo is not None

        nodes = await public.node_ids()
        sale = await pos.create_invoice(sandbox.wallet_id("blinkpos"), 777, external_id="s-3")
        payout = await public.create_invoice_on_behalf(sandbox.wallet_id("merchant"), 777)
        # Blink's invoices are payable intraledger: their payee is one of Blink's nodes.
        assert decode_invoice(sale.payment_request).payee in nodes
        assert decode_invoice(payout.payment_request).payee in nodes

        pos_wallet = sandbox.wallet_id("blinkpos")
        mine = await pos.invoice_by_hash(pos_wallet, sale.payment_hash)
        assert mine == WalletInvoice(sale.payment_hash, InvoiceStatus.PENDING, 777)
        # The merchant's invoice is not the BlinkPOS wallet's: no such invoice there.
        assert await pos.invoice_by_hash(pos_wallet, payout.payment_hash) is None
        await sandbox.pay(sale.payment_request)
        paid = await pos.invoice_by_hash(pos_wallet, sale.payment_hash)
        assert paid is not None
        assert paid.status is InvoiceStatus.PAID
