"""Blink's GraphQL over HTTP: queries and mutations, every failure mapped into the error tree."""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from terminal.errors import (
    BlinkUnreachable,
    KeyRejected,
    MalformedAnswer,
    RateLimited,
)
from terminal.secret import Secret, redact

from . import documents
from .answers import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    error_infos,
    field,
    integer,
    raise_for_errors,
    raise_for_fatal,
    text,
)
from .invoice import decode_invoice
from .models import (
    Account,
    Invoice,
    InvoiceStatus,
    PaymentOutcome,
    PaymentStatus,
    Price,
    Wallet,
)

log = logging.getLogger(__name__)

_OPERATION_NAME = re.compile(r"^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")
_NO_SCOPE = "(none)"  # public operations: a denial would mean Blink changed the rules


def parse_retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds from a ``Retry-After`` header (seconds or HTTP date), else the default.

    Always within 0..``MAX_RETRY_AFTER``, whatever the header says.
    """
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(MAX_RETRY_AFTER, max(0.0, seconds))  # NaN falls to 0.0 at max()


class BlinkHttp:
    """One key's HTTP connection to Blink's GraphQL endpoint."""

    def __init__(
        self,
        url: str,
        key: Secret | None,
        *,
        key_name: str = "BlinkPOS",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        self._key = key
        self._key_name = key_name
        self._timeout = timeout
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key is not None:
            headers["X-API-KEY"] = key.reveal()
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout), transport=transport
        )

    def __repr__(self) -> str:
        return f"BlinkHttp({self._url!r}, key_name={self._key_name!r})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _post(
        self, document: str, variables: Mapping[str, object], *, scope: str, operation: str
    ) -> Mapping[str, Any]:
        """Send one document; return ``data`` or raise from the error tree."""
        body = {"query": document, "variables": dict(variables)}
        name = _OPERATION_NAME.search(document)
        if name:
            # Named like Blink's own clients do: server logs, rate limits and the sandbox's
            # fault injection see which operation this is.
            body["operationName"] = name.group(1)
        try:
            response = await self._client.post(self._url, json=body)
        except httpx.TimeoutException as exc:
            raise BlinkUnreachable(
                f"Blink did not answer within {self._timeout:g} s while trying to {operation}: "
                "check the network; the terminal will retry"
            ) from exc
        except httpx.HTTPError as exc:
            raise BlinkUnreachable(
                f"cannot reach Blink to {operation} ({type(exc).__name__}): check the network "
                "and the Blink URL; the terminal will retry"
            ) from exc
        status = response.status_code
        if status == 401:
            raise KeyRejected(self._key_name)
        if status == 429:
            raise RateLimited(
                f"Blink is limiting requests (HTTP 429) while trying to {operation}: "
                "the terminal will wait and retry",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise BlinkUnreachable(
                f"Blink had a server error (HTTP {status}) while trying to {operation}: "
                "the terminal will retry"
            )
        answer = self._json(response, operation)
        data = answer.get("data")
        infos = error_infos(answer.get("errors"))
        if infos and not (isinstance(data, Mapping) and any(v is not None for v in data.values())):
            raise_for_errors(infos, key_name=self._key_name, scope=scope, operation=operation)
        if status >= 400:
            raise MalformedAnswer(
                f"Blink answered HTTP {status} without an explanation while trying to "
                f"{operation}: update the terminal"
            )
        if not isinstance(data, Mapping):
            raise MalformedAnswer(
                f"Blink's answer to {operation} has no data: the API may have changed"
            )
        if infos:
            log.warning("Blink answered %s with data and errors: %s", operation, infos)
        return data

    def _json(self, response: httpx.Response, operation: str) -> Mapping[str, Any]:
        try:
            answer = json.loads(response.content)
        # RecursionError: a hostile or broken peer's deeply nested "[[[[..." is garbage too.
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedAnswer(
                f"Blink's answer to {operation} is not JSON (HTTP {response.status_code}): "
                "a proxy may be in the way; check the Blink URL"
            ) from exc
        if not isinstance(answer, Mapping):
            raise MalformedAnswer(f"Blink's answer to {operation} is not a JSON object")
        return answer

    async def me(self) -> Account:
        """The key's account and wallets (needs READ)."""
        op = "read the account"
        data = await self._post(documents.ME, {}, scope="READ", operation=op)
        me = field(data, "me", op)
        account = field(me, "defaultAccount", op)
        wallets_raw = account.get("wallets")
        if not isinstance(wallets_raw, list):
            raise MalformedAnswer(f"Blink's answer to {op} lacks the wallet list")
        wallets = []
        for raw in wallets_raw:
            if not isinstance(raw, Mapping):
                raise MalformedAnswer(f"Blink's answer to {op} has a wallet that is not an object")
            balance = raw.get("balance")
            wallets.append(
                Wallet(
                    id=text(raw, "id", op),
                    currency=text(raw, "walletCurrency", op),
                    balance=integer(raw, "balance", op) if balance is not None else None,
                )
            )
        username = me.get("username")
        return Account(
            id=text(me, "id", op),
            username=username if isinstance(username, str) else None,
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

    async def realtime_price(self, currency: str = "USD") -> Price:
        """The current price of one sat in ``currency`` (no key needed)."""
        op = "read the price"
        data = await self._post(
            documents.REALTIME_PRICE, {"currency": currency}, scope=_NO_SCOPE, operation=op
        )
        price = field(data, "realtimePrice", op)
        sat = field(price, "btcSatPrice", op)
        details = price.get("denominatorCurrencyDetails")
        digits = 2
        name = currency
        if isinstance(details, Mapping):
            if isinstance(details.get("fractionDigits"), int):
                digits = details["fractionDigits"]
            if isinstance(details.get("id"), str):
                name = details["id"]
        try:
            sat_price = Decimal(integer(sat, "base", op)).scaleb(-integer(sat, "offset", op))
        except InvalidOperation as exc:
            raise MalformedAnswer(f"Blink's answer to {op} has an unusable price") from exc
        return Price(
            timestamp=integer(price, "timestamp", op),
            currency=name,
            fraction_digits=digits,
            sat_price=sat_price,
        )


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
