"""Blink's GraphQL over HTTP: queries and mutations, as values or errors from the tree.

Each call is one bounded POST (``transport``): an overall deadline and a size cap on the answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from terminal.errors import BlinkRejected, MalformedAnswer
from terminal.secret import Secret, redact

from . import documents, prices
from .answers import (
    error_infos,
    field,
    integer,
    objects,
    raise_for_errors,
    raise_for_fatal,
    text,
)
from .invoice import decode_invoice
from .models import (
    Account,
    Currency,
    Invoice,
    InvoiceStatus,
    PaymentOutcome,
    PaymentStatus,
    Price,
    Wallet,
    WalletInvoice,
)
from .server_clock import ServerClock
from .transport import DEFAULT_MAX_ANSWER, GraphQLPoster, parse_retry_after

__all__ = ["DEFAULT_MAX_ANSWER", "BlinkHttp", "parse_retry_after"]

_NO_SCOPE = "(none)"  # public operations: a denial would mean Blink changed the rules


class BlinkHttp:
    """One key's HTTP connection to Blink's GraphQL endpoint.

    ``timeout`` bounds each network phase (connect, each read); ``deadline`` (default: the same
    number of seconds) bounds a whole call, all phases together; ``max_answer_bytes`` caps an
    answer's size.
    """

    def __init__(
        self,
        url: str,
        key: Secret | None,
        *,
        key_name: str = "BlinkPOS",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        deadline: float | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER,
        on_reach: Callable[[bool], None] | None = None,
    ) -> None:
        """``on_reach``, if given, hears after every request whether Blink answered at all
        (False: unreachable, timed out, or a 5xx), whatever the answer said."""
        self._url = url
        self._key_name = key_name
        # Every answer's Date: Blink's clock, for whatever is compared with Blink's timestamps.
        self.server_clock = ServerClock()
        self._poster = GraphQLPoster(
            url,
            key,
            key_name=key_name,
            timeout=timeout,
            deadline=timeout if deadline is None else deadline,
            max_answer_bytes=max_answer_bytes,
            transport=transport,
            on_reach=on_reach,
        )

    def __repr__(self) -> str:
        return f"BlinkHttp({self._url!r}, key_name={self._key_name!r})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._poster.aclose()

    async def _post(
        self, document: str, variables: Mapping[str, object], *, scope: str, operation: str
    ) -> Mapping[str, Any]:
        """Send one document; return ``data`` or raise from the error tree."""
        answer = await self._poster.post(document, variables, scope=scope, operation=operation)
        if answer.date is not None:
            self.server_clock.heard(answer.date)
        return answer.data

    def blink_now(self) -> float | None:
        """Blink's Unix time now, as its last answer said (moved on monotonically), or None."""
        return self.server_clock.now()

    async def me(self) -> Account:
        """The key's account and wallets (needs READ)."""
        op = "read the account"
        data = await self._post(documents.ME, {}, scope="READ", operation=op)
        me = field(data, "me", op)
        account = field(me, "defaultAccount", op)
        wallets = []
        for raw in objects(account, "wallets", op):
            balance = raw.get("balance")
            wallets.append(
                Wallet(
                    id=text(raw, "id", op),
                    currency=text(raw, "walletCurrency", op),
                    balance=integer(raw, "balance", op) if balance is not None else None,
                )
            )
        return Account(
            id=text(me, "id", op),
            wallets=tuple(wallets),
            default_wallet_id=text(field(account, "defaultWallet", op), "id", op),
        )

    async def scopes(self) -> frozenset[str]:
        """The key's scopes, e.g. {"READ", "RECEIVE", "WRITE"}."""
        op = "read the key's scopes"
        data = await self._post(documents.SCOPES, {}, scope="READ", operation=op)
        scopes = field(data, "authorization", op).get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise MalformedAnswer(f"Blink's answer to {op} lacks a list of scopes")
        return frozenset(scopes)

    async def default_wallet(self, username: str, currency: str = "BTC") -> Wallet:
        """The default ``currency`` wallet of a Blink username (no key needed)."""
        op = f"look up the wallet of {username!r}"
        data = await self._post(
            documents.DEFAULT_WALLET,
            {"username": username, "walletCurrency": currency},
            scope=_NO_SCOPE,
            operation=op,
        )
        wallet = field(data, "accountDefaultWallet", op)
        return Wallet(id=text(wallet, "id", op), currency=text(wallet, "currency", op))

    async def create_invoice(
        self,
        wallet_id: str,
        amount_sats: int,
        *,
        memo: str | None = None,
        expires_in_minutes: int | None = None,
        external_id: str | None = None,
    ) -> Invoice:
        """An invoice on one of the key's own wallets (needs RECEIVE)."""
        payload = _invoice_input(
            "walletId", wallet_id, amount_sats, memo, expires_in_minutes, external_id
        )
        return await self._invoice(
            documents.LN_INVOICE_CREATE, "lnInvoiceCreate", payload, "RECEIVE", "create invoices"
        )

    async def create_invoice_on_behalf(
        self,
        recipient_wallet_id: str,
        amount_sats: int,
        *,
        memo: str | None = None,
        expires_in_minutes: int | None = None,
        external_id: str | None = None,
    ) -> Invoice:
        """An invoice paying into somebody else's wallet (no key needed)."""
        payload = _invoice_input(
            "recipientWalletId",
            recipient_wallet_id,
            amount_sats,
            memo,
            expires_in_minutes,
            external_id,
        )
        return await self._invoice(
            documents.LN_INVOICE_CREATE_ON_BEHALF,
            "lnInvoiceCreateOnBehalfOfRecipient",
            payload,
            _NO_SCOPE,
            "create invoices for the merchant",
        )

    async def _invoice(
        self, document: str, name: str, payload: dict[str, object], scope: str, op: str
    ) -> Invoice:
        data = await self._post(document, {"input": payload}, scope=scope, operation=op)
        result = field(data, name, op)
        raise_for_errors(
            error_infos(result.get("errors")), key_name=self._key_name, scope=scope, operation=op
        )
        invoice = field(result, "invoice", op)
        request = text(invoice, "paymentRequest", op)
        payment_hash = text(invoice, "paymentHash", op)
        decoded = decode_invoice(request)
        if decoded.payment_hash != payment_hash.lower():
            raise MalformedAnswer(
                f"Blink's answer to {op} has an invoice whose hash does not match its "
                "paymentHash: do not show it; report this"
            )
        external_id = invoice.get("externalId")
        return Invoice(
            payment_request=request,
            payment_hash=payment_hash,
            satoshis=integer(invoice, "satoshis", op),
            expires_at=decoded.expires_at,
            external_id=external_id if isinstance(external_id, str) else None,
        )

    async def pay_invoice(
        self, wallet_id: str, payment_request: str, *, memo: str | None = None
    ) -> PaymentOutcome:
        """Pay a BOLT11 from ``wallet_id`` (needs WRITE); FAILURE is a value, not an error."""
        op = "pay invoices"
        payload: dict[str, object] = {"walletId": wallet_id, "paymentRequest": payment_request}
        if memo is not None:
            payload["memo"] = memo
        data = await self._post(
            documents.LN_INVOICE_PAYMENT_SEND, {"input": payload}, scope="WRITE", operation=op
        )
        result = field(data, "lnInvoicePaymentSend", op)
        infos = error_infos(result.get("errors"))
        raise_for_fatal(infos, key_name=self._key_name, scope="WRITE", operation=op)
        raw_status = result.get("status")
        if raw_status is None:
            # Blink leaves status null when an input scalar was invalid (API-NOTES §5).
            return PaymentOutcome(PaymentStatus.FAILURE, infos)
        try:
            status = PaymentStatus(raw_status)
        except ValueError as exc:
            shown = redact(str(raw_status))[:40]
            raise MalformedAnswer(
                f"Blink answered a payment with the unknown status {shown!r}: update the terminal"
            ) from exc
        return PaymentOutcome(status, infos)

    async def invoice_status(self, payment_hash: str) -> InvoiceStatus:
        """PENDING, PAID or EXPIRED for any invoice's hash (no key needed)."""
        op = "ask an invoice's status"
        data = await self._post(
            documents.INVOICE_STATUS_BY_HASH,
            {"input": {"paymentHash": payment_hash}},
            scope=_NO_SCOPE,
            operation=op,
        )
        result = field(data, "lnInvoicePaymentStatusByHash", op)
        raw = result.get("status")
        try:
            return InvoiceStatus(raw)
        except ValueError as exc:
            raise MalformedAnswer(
                f"Blink's answer to {op} has no valid status: update the terminal"
            ) from exc

    async def invoice_by_hash(self, wallet_id: str, payment_hash: str) -> WalletInvoice | None:
        """One of ``wallet_id``'s invoices (needs READ): status and amount; None if it has none."""
        op = "look up an invoice of the wallet"
        try:
            data = await self._post(
                documents.INVOICE_BY_HASH,
                {"walletId": wallet_id, "paymentHash": payment_hash},
                scope="READ",
                operation=op,
            )
        except BlinkRejected as exc:
            if _is_not_found(exc):
                return None
            raise
        wallet = field(field(field(data, "me", op), "defaultAccount", op), "walletById", op)
        invoice = field(wallet, "invoiceByPaymentHash", op)
        try:
            status = InvoiceStatus(invoice.get("paymentStatus"))
        except ValueError as exc:
            raise MalformedAnswer(
                f"Blink's answer to {op} has no valid status: update the terminal"
            ) from exc
        satoshis = invoice.get("satoshis")
        return WalletInvoice(
            payment_hash=text(invoice, "paymentHash", op).lower(),
            status=status,
            satoshis=None if satoshis is None else integer(invoice, "satoshis", op),
        )

    async def realtime_price(self, currency: str = "USD") -> Price:
        """The price of one sat in ``currency`` (no key needed), with the answer's ``Date``."""
        op = "read the price"
        answer = await self._poster.post(
            documents.REALTIME_PRICE, {"currency": currency}, scope=_NO_SCOPE, operation=op
        )
        if answer.date is not None:
            self.server_clock.heard(answer.date)
        price = prices.realtime_price(field(answer.data, "realtimePrice", op))
        if price is None:
            raise MalformedAnswer(
                f"Blink's answer to {op} has no usable price: the API may have changed; "
                "update the terminal"
            )
        return dataclasses.replace(price, server_date=answer.date)

    async def currency_list(self) -> list[Currency]:
        """Every display currency Blink prices (no key needed)."""
        op = "read the currency list"
        data = await self._post(documents.CURRENCY_LIST, {}, scope=_NO_SCOPE, operation=op)
        currencies = []
        for item in objects(data, "currencyList", op):
            currencies.append(
                Currency(
                    id=text(item, "id", op),
                    symbol=text(item, "symbol", op),
                    name=text(item, "name", op),
                    fraction_digits=integer(item, "fractionDigits", op),
                )
            )
        return currencies

    async def node_ids(self) -> frozenset[str]:
        """The public keys of Blink's own Lightning nodes (lower-case hex; no key needed)."""
        op = "read Blink's node ids"
        data = await self._post(documents.GLOBALS, {}, scope=_NO_SCOPE, operation=op)
        ids = field(data, "globals", op).get("nodesIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise MalformedAnswer(f"Blink's answer to {op} lacks a list of node ids")
        return frozenset(i.lower() for i in ids)


def _is_not_found(exc: BlinkRejected) -> bool:
    # Blink's words for an invoice the wallet does not have (CouldNotFindWalletInvoiceError):
    # "User tried to pay invoice with hash …, but it does not exist" [LIGHTNING_PAYMENT_ERROR].
    # Any other refusal (a wallet of another account, a bad hash) is raised, not read as "none".
    message = exc.blink_message.lower()
    return "invoice" in message and ("does not exist" in message or "not found" in message)


def _invoice_input(
    wallet_field: str,
    wallet_id: str,
    amount_sats: int,
    memo: str | None,
    expires_in_minutes: int | None,
    external_id: str | None,
) -> dict[str, object]:
    optional = {"memo": memo, "expiresIn": expires_in_minutes, "externalId": external_id}
    return {
        wallet_field: wallet_id,
        "amount": amount_sats,
        **{name: value for name, value in optional.items() if value is not None},
    }
