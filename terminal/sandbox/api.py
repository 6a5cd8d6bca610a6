"""Blink's GraphQL operations, resolved against the sandbox ledger with graphql-core."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute,
    parse,
    subscribe,
    validate,
)
from graphql.language import DocumentNode, OperationDefinitionNode

from terminal.errors import BlinkRejected
from terminal.sandbox.hub import TICK, Hub
from terminal.sandbox.invoices import NODE_PUBKEY
from terminal.sandbox.ledger import WALLET_ERROR, ApiKey, Invoice, Ledger, Transaction

_HASH = re.compile(r"^[0-9a-f]{64}$")
PRICE_CHANNEL = "price"
READ_DENIED = "API key not authorized to read data"
MUTATION_DENIED = "API key not authorized to execute mutations"
# USD 100 000 per BTC: one sat is 0.1 cent.
_SAT_PRICE_BASE = 100_000_000_000
_PRICE_OFFSET = 12


def load_schema() -> GraphQLSchema:
    """The sandbox's own subset of Blink's public schema (``schema.graphql`` beside this)."""
    text = resources.files("terminal.sandbox").joinpath("schema.graphql").read_text()
    return build_schema(text)


@dataclass(frozen=True)
class Caller:
    """Who is asking: the key from the header or ``connection_init``, or None (public)."""

    key: ApiKey | None = None


def _top(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _err(exc: BlinkRejected) -> dict[str, Any]:
    return {
        "__typename": "GraphQLApplicationError",
        "message": exc.blink_message,
        "code": exc.code,
        "path": None,
    }


def _require_scope(key: ApiKey, any_of: set[str]) -> None:
    """§7 Corrections: a mutation scope denial is a payload error, not a top-level one."""
    if not key.scopes & any_of:
        raise BlinkRejected(MUTATION_DENIED)


def root_fields(document: DocumentNode, operation_name: str | None) -> tuple[str, set[str]]:
    """The operation kind ("query", "mutation", "subscription") and its root field names."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if not chosen:
        return "query", set()
    op = chosen[0]
    names = {s.name.value for s in op.selection_set.selections if hasattr(s, "name")}
    return op.operation.value, names


class BlinkApi:
    """The schema with resolvers attached; executes queries, mutations and subscriptions."""

    def __init__(self, ledger: Ledger, hub: Hub) -> None:
        self.ledger = ledger
        self.hub = hub
        self.schema = load_schema()
        self._wire()

    # plumbing

    def _wire(self) -> None:
        def on(type_name: str, field: str, fn: Callable[..., Any]) -> None:
            gtype = self.schema.get_type(type_name)
            assert isinstance(gtype, GraphQLObjectType)
            gtype.fields[field].resolve = fn

        on("Query", "me", self._me)
        on("Query", "authorization", self._authorization)
        on("Query", "accountDefaultWallet", self._account_default_wallet)
        on("Query", "realtimePrice", lambda _r, _i, currency="USD": self.price(currency))
        on("Query", "globals", self._globals)
        on("Query", "lnInvoicePaymentStatusByHash", self._status_by_hash)
        on("Query", "lnInvoicePaymentStatusByPaymentRequest", self._status_by_request)
        on("ConsumerAccount", "walletById", self._wallet_by_id)
        for wallet_type in ("BTCWallet", "UsdWallet"):
            on(wallet_type, "invoiceByPaymentHash", self._invoice_by_hash)
            on(wallet_type, "transactionsByPaymentHash", self._txs_by_hash)
        on("Mutation", "lnInvoiceCreate", self._invoice_create)
        on("Mutation", "lnInvoiceCreateOnBehalfOfRecipient", self._invoice_create_for)
        on("Mutation", "lnInvoicePaymentSend", self._payment_send)
        sub = self.schema.subscription_type
        assert sub is not None
        subs: dict[str, Callable[..., AsyncIterator[Any]]] = {
            "lnInvoicePaymentStatusByHash": self._sub_status_by_hash,
            "lnInvoicePaymentStatusByPaymentRequest": self._sub_status_by_request,
            "myUpdates": self._sub_my_updates,
            "realtimePrice": self._sub_price,
        }
        for name, gen in subs.items():
            sub.fields[name].subscribe = gen
            sub.fields[name].resolve = lambda event, _info, **_kw: event

    def execute(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        op: str | None,
        caller: Caller,
    ) -> ExecutionResult:
        """Run a validated query or mutation (synchronous: every resolver is)."""
        result = execute(self.schema, document, None, caller, variables, op)
        assert isinstance(result, ExecutionResult)  # no resolver is async
        return result

    async def subscribe(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        op: str | None,
        caller: Caller,
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        """Start a subscription: an iterator of results, or one result carrying errors."""
        result = subscribe(self.schema, document, None, caller, variables, op)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return result  # type: ignore[return-value]  # graphql-core's union of awaitables

    def parse(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """Parse and validate against the subset; a document, or the errors."""
        try:
            document = parse(query)
        except GraphQLError as exc:
            return None, [exc]
        errors = validate(self.schema, document)
        return (None, list(errors)) if errors else (document, [])

    # shapes

    def _account(self, username: str) -> dict[str, Any]:
        account = self.ledger.accounts[username]
        return {
            "__typename": "ConsumerAccount",
            "id": account.id,
            "username": username,
            "displayCurrency": "USD",
            "defaultWallet": self._public_wallet(account.default_wallet.id, "BTC"),
            "wallets": [self._wallet(w.id) for w in account.wallets],
        }

    def _wallet(self, wallet_id: str) -> dict[str, Any]:
        wallet = self.ledger.wallet(wallet_id)
        assert wallet is not None
        return {
            "__typename": "BTCWallet" if wallet.currency == "BTC" else "UsdWallet",
            "id": wallet.id,
            "walletCurrency": wallet.currency,
            "balance": wallet.balance,
            "pendingIncomingBalance": 0,
        }

    @staticmethod
    def _public_wallet(wallet_id: str, currency: str) -> dict[str, Any]:
        return {"id": wallet_id, "currency": currency, "walletCurrency": currency}

    def _invoice(self, invoice: Invoice) -> dict[str, Any]:
        return {
            "__typename": "LnInvoice",
            "paymentRequest": invoice.payment_request,
            "paymentHash": invoice.payment_hash,
            "paymentSecret": invoice.payment_secret,
            "satoshis": invoice.amount,
            "paymentStatus": self.ledger.status(invoice),
            "externalId": invoice.external_id,
            "createdAt": invoice.created_at,
        }

    def transaction(self, tx: Transaction) -> dict[str, Any]:
        """A ``Transaction`` as the schema shows it."""
        wallet = self.ledger.wallet(tx.wallet_id)
        currency = wallet.currency if wallet else "BTC"
        return {
            "id": tx.id,
            "status": tx.status,
            "direction": tx.direction,
            "memo": tx.memo,
            "externalId": tx.external_id,
            "createdAt": tx.created_at,
            "settlementAmount": tx.amount,
            "settlementFee": 0,
            "settlementCurrency": currency,
            "settlementDisplayAmount": f"{tx.amount / 1000:.2f}",
            "settlementDisplayCurrency": "USD",
            "initiationVia": {
                "__typename": "InitiationViaLn",
                "paymentHash": tx.payment_hash,
                "paymentRequest": tx.payment_request,
            },
            "settlementVia": {
                "__typename": "SettlementViaIntraLedger",
                "counterPartyWalletId": tx.counterparty_wallet_id,
                "counterPartyUsername": tx.counterparty_username,
                "preImage": tx.preimage,
            },
        }

    def price(self, currency: str | None = "USD") -> dict[str, Any]:
        """A ``RealtimePrice`` (USD 100k per BTC; other currencies priced the same)."""
        code = currency or "USD"
        return {
            "__typename": "RealtimePrice",
            "id": f"price-{code}",
            "timestamp": int(self.ledger.clock.now()),
            "denominatorCurrency": code,
            "denominatorCurrencyDetails": {
                "id": code,
                "symbol": "$",
                "fractionDigits": 2,
                "name": code,
                "flag": "",
            },
            "btcSatPrice": {
                "base": _SAT_PRICE_BASE,
                "offset": _PRICE_OFFSET,
                "currencyUnit": "MINOR",
            },
            "usdCentPrice": {
                "base": 10**_PRICE_OFFSET,
                "offset": _PRICE_OFFSET,
                "currencyUnit": "MINOR",
            },
        }

    def _status(self, invoice: Invoice, *, payload: bool) -> dict[str, Any]:
        status = self.ledger.status(invoice)
        shape: dict[str, Any] = {
            "status": status,
            "paymentHash": invoice.payment_hash,
            "paymentRequest": invoice.payment_request,
            "paymentPreimage": invoice.preimage if status == "PAID" else None,
        }
        if payload:
            shape["errors"] = []
        return shape

    # auth helpers

    @staticmethod
    def _reader(info: Any) -> ApiKey:
        key: ApiKey | None = info.context.key
        if key is None:
            raise _top("Not authenticated", "NOT_AUTHENTICATED")
        if "READ" not in key.scopes:
            raise _top(READ_DENIED, "NOT_AUTHORIZED")
        return key

    def _owned_wallet(self, key: ApiKey, wallet_id: object) -> str:
        """The wallet id if ``key``'s account owns it; else ``BlinkRejected`` (§7 Corrections)."""
        if not wallet_id:
            raise BlinkRejected("Invalid walletId for account.")
        wallet = self.ledger.wallet(str(wallet_id))
        if wallet is None or wallet.username != key.username:
            raise BlinkRejected(WALLET_ERROR)
        return wallet.id

    # queries

    def _me(self, _root: Any, info: Any) -> dict[str, Any]:
        key = self._reader(info)
        account = self.ledger.accounts[key.username]
        return {
            "id": account.user_id,
            "username": key.username,
            "defaultAccount": self._account(key.username),
        }

    def _authorization(self, _root: Any, info: Any) -> dict[str, Any]:
        key = self._reader(info)
        return {"scopes": sorted(key.scopes)}

    def _wallet_by_id(self, account: dict[str, Any], _info: Any, walletId: str) -> dict[str, Any]:
        wallet = self.ledger.wallet(walletId)
        if wallet is None or wallet.username != account["username"]:
            raise _top("Invalid walletId for account.", "INVALID_INPUT")
        return self._wallet(wallet.id)

    def _invoice_by_hash(
        self, wallet: dict[str, Any], _info: Any, paymentHash: str
    ) -> dict[str, Any]:
        invoice = self.ledger.invoices.get(paymentHash)
        if invoice is None or invoice.wallet_id != wallet["id"]:
            raise _top("Invoice not found for this wallet", "NOT_FOUND")
        return self._invoice(invoice)

    def _txs_by_hash(
        self, wallet: dict[str, Any], _info: Any, paymentHash: str
    ) -> list[dict[str, Any]]:
        return [
            self.transaction(tx)
            for tx in self.ledger.transactions_by_hash(wallet["id"], paymentHash)
        ]

    def _account_default_wallet(
        self, _root: Any, _info: Any, username: str, walletCurrency: str | None = None
    ) -> dict[str, Any]:
        found = next((a for a in self.ledger.accounts if a.lower() == str(username).lower()), None)
        if found is None:
            raise _top(f"Account does not exist for username {username}", "NOT_FOUND")
        wallet = self.ledger.wallet_of(found, walletCurrency or "BTC")
        return self._public_wallet(wallet.id, wallet.currency)

    def _globals(self, _root: Any, _info: Any) -> dict[str, Any]:
        return {
            "network": "mainnet",
            "nodesIds": [NODE_PUBKEY],
            "lightningAddressDomain": "blink.sv",
        }

    def _find_by_hash(self, payment_hash: object) -> Invoice:
        if not isinstance(payment_hash, str) or not _HASH.match(payment_hash):
            raise _top("Invalid value for PaymentHash", "INVALID_INPUT")
        invoice = self.ledger.invoices.get(payment_hash)
        if invoice is None:
            raise _top("Invoice not found", "NOT_FOUND")
        return invoice

    def _find_by_request(self, payment_request: object) -> Invoice:
        try:
            invoice = self.ledger.invoice_by_request(str(payment_request))
        except BlinkRejected as exc:
            raise _top(exc.blink_message, exc.code or "INVOICE_DECODE_ERROR") from exc
        if invoice is None:
            raise _top("Invoice not found", "NOT_FOUND")
        return invoice

    def _status_by_hash(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return self._status(self._find_by_hash(input.get("paymentHash")), payload=False)

    def _status_by_request(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return self._status(self._find_by_request(input.get("paymentRequest")), payload=False)

    # mutations

    def _invoice_create(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        key: ApiKey | None = info.context.key
        if key is None:
            raise _top("Not authenticated", "NOT_AUTHENTICATED")
        try:
            _require_scope(key, {"RECEIVE", "WRITE"})
            wallet_id = self._owned_wallet(key, input.get("walletId"))
            invoice = self.ledger.create_invoice(
                wallet_id,
                input.get("amount"),
                input.get("memo"),
                input.get("expiresIn"),
                input.get("externalId"),
            )
        except BlinkRejected as exc:
            return {"invoice": None, "errors": [_err(exc)]}
        return {"invoice": self._invoice(invoice), "errors": []}

    def _invoice_create_for(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        try:
            invoice = self.ledger.create_invoice(
                str(input.get("recipientWalletId")),
                input.get("amount"),
                input.get("memo"),
                input.get("expiresIn"),
                input.get("externalId"),
            )
        except BlinkRejected as exc:
            return {"invoice": None, "errors": [_err(exc)]}
        return {"invoice": self._invoice(invoice), "errors": []}

    def _payment_send(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        key: ApiKey | None = info.context.key
        if key is None:
            raise _top("Not authenticated", "NOT_AUTHENTICATED")
        try:
            _require_scope(key, {"WRITE"})
            wallet_id = self._owned_wallet(key, input.get("walletId"))
        except BlinkRejected as exc:
            return {"status": "FAILURE", "errors": [_err(exc)], "transaction": None}
        result = self.ledger.pay(wallet_id, str(input.get("paymentRequest")), input.get("memo"))
        return {
            "status": result.status,
            "errors": [_err(e) for e in result.errors],
            "transaction": self.transaction(result.transaction) if result.transaction else None,
        }

    # subscriptions

    async def _watch(self, invoice: Invoice) -> AsyncIterator[dict[str, Any]]:
        """§4.7: the current status at once, PAID on settle, EXPIRED ~1 s after expiry; no end."""
        clock = self.ledger.clock
        with self.hub.listen(f"invoice:{invoice.payment_hash}") as queue:
            current = self._status(invoice, payload=True)
            yield current
            expired_sent = current["status"] == "EXPIRED"
            while True:
                timeout = None
                if not expired_sent and invoice.paid_at is None:
                    timeout = max(0.0, invoice.expires_at + 1.0 - clock.now())
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    event = TICK
                if event is TICK:
                    due = clock.now() >= invoice.expires_at + 1.0
                    if due and not expired_sent and invoice.paid_at is None:
                        expired_sent = True
                        yield self._status(invoice, payload=True)
                else:
                    yield self._status(invoice, payload=True)

    async def _sub_status_by_hash(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            invoice = self._find_by_hash(input.get("paymentHash"))
        except GraphQLError as exc:
            yield {
                "errors": [
                    {
                        "__typename": "GraphQLApplicationError",
                        "message": exc.message,
                        "code": None,
                        "path": None,
                    }
                ]
            }
            return
        async for item in self._watch(invoice):
            yield item

    async def _sub_status_by_request(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            invoice = self._find_by_request(input.get("paymentRequest"))
        except GraphQLError as exc:
            yield {
                "errors": [
                    {
                        "__typename": "GraphQLApplicationError",
                        "message": exc.message,
                        "code": None,
                        "path": None,
                    }
                ]
            }
            return
        async for item in self._watch(invoice):
            yield item

    def _sub_my_updates(self, _root: Any, info: Any) -> AsyncIterator[dict[str, Any]]:
        key: ApiKey | None = info.context.key
        if key is None:
            # Raised before the stream starts, so graphql-ws answers one error then complete.
            raise _top("Not Authenticated for subscription", "NOT_AUTHENTICATED")
        return self._my_updates(key)

    async def _my_updates(self, key: ApiKey) -> AsyncIterator[dict[str, Any]]:
        with self.hub.listen(PRICE_CHANNEL, f"account:{key.username}") as queue:
            yield {"errors": [], "update": self.price("USD")}
            while True:
                event = await queue.get()
                if event is not TICK:
                    yield {"errors": [], "update": event}

    async def _sub_price(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        currency = input.get("currency") or "USD"
        with self.hub.listen(PRICE_CHANNEL) as queue:
            yield {"errors": [], "realtimePrice": self.price(currency)}
            while True:
                event = await queue.get()
                if event is not TICK:
                    yield {"errors": [], "realtimePrice": self.price(currency)}

    def ln_update(self, invoice: Invoice, received: Transaction) -> dict[str, Any]:
        """The ``LnUpdate`` the receiver's ``myUpdates`` gets when an invoice is paid (§5)."""
        return {
            "__typename": "LnUpdate",
            "status": "PAID",
            "paymentHash": invoice.payment_hash,
            "walletId": invoice.wallet_id,
            "transaction": self.transaction(received),
        }
