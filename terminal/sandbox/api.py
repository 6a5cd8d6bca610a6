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
from terminal.sandbox import shapes
from terminal.sandbox.hub import TICK, Hub
from terminal.sandbox.invoices import NODE_PUBKEY
from terminal.sandbox.ledger import WALLET_ERROR, ApiKey, Invoice, Ledger

_HASH = re.compile(r"^[0-9a-f]{64}$")
PRICE_CHANNEL = "price"
READ_DENIED = "API key not authorized to read data"
MUTATION_DENIED = "API key not authorized to execute mutations"


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
        on(
            "Query",
            "realtimePrice",
            lambda _r, _i, currency="USD": shapes.price(self.ledger.clock, currency),
        )
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
            "defaultAccount": shapes.account(self.ledger, key.username),
        }

    def _authorization(self, _root: Any, info: Any) -> dict[str, Any]:
        key = self._reader(info)
        return {"scopes": sorted(key.scopes)}

    def _wallet_by_id(self, account: dict[str, Any], _info: Any, walletId: str) -> dict[str, Any]:
        wallet = self.ledger.wallet(walletId)
        if wallet is None or wallet.username != account["username"]:
            raise _top("Invalid walletId for account.", "INVALID_INPUT")
        return shapes.wallet(self.ledger, wallet.id)

    def _invoice_by_hash(
        self, wallet: dict[str, Any], _info: Any, paymentHash: str
    ) -> dict[str, Any]:
        invoice = self.ledger.invoices.get(paymentHash)
        if invoice is None or invoice.wallet_id != wallet["id"]:
            raise _top("Invoice not found for this wallet", "NOT_FOUND")
        return shapes.invoice(self.ledger, invoice)

    def _txs_by_hash(
        self, wallet: dict[str, Any], _info: Any, paymentHash: str
    ) -> list[dict[str, Any]]:
        return [
            shapes.transaction(self.ledger, tx)
            for tx in self.ledger.transactions_by_hash(wallet["id"], paymentHash)
        ]

    def _account_default_wallet(
        self, _root: Any, _info: Any, username: str, walletCurrency: str | None = None
    ) -> dict[str, Any]:
        found = next((a for a in self.ledger.accounts if a.lower() == str(username).lower()), None)
        if found is None:
            raise _top(f"Account does not exist for username {username}", "NOT_FOUND")
        wallet = self.ledger.wallet_of(found, walletCurrency or "BTC")
        return shapes.public_wallet(wallet.id, wallet.currency)

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
        return shapes.status(
            self.ledger, self._find_by_hash(input.get("paymentHash")), payload=False
        )

    def _status_by_request(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return shapes.status(
            self.ledger, self._find_by_request(input.get("paymentRequest")), payload=False
        )

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
        return {"invoice": shapes.invoice(self.ledger, invoice), "errors": []}

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
        return {"invoice": shapes.invoice(self.ledger, invoice), "errors": []}

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
            "transaction": shapes.transaction(self.ledger, result.transaction)
            if result.transaction
            else None,
        }

    # subscriptions

    async def _watch(self, invoice: Invoice) -> AsyncIterator[dict[str, Any]]:
        """§4.7: the current status at once, PAID on settle, EXPIRED ~1 s after expiry; no end."""
        clock = self.ledger.clock
        with self.hub.listen(f"invoice:{invoice.payment_hash}") as queue:
            current = shapes.status(self.ledger, invoice, payload=True)
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
                        yield shapes.status(self.ledger, invoice, payload=True)
                else:
                    yield shapes.status(self.ledger, invoice, payload=True)

    def _sub_status_by_hash(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        return self._sub_status(lambda: self._find_by_hash(input.get("paymentHash")))

    def _sub_status_by_request(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        return self._sub_status(lambda: self._find_by_request(input.get("paymentRequest")))

    async def _sub_status(self, find: Callable[[], Invoice]) -> AsyncIterator[dict[str, Any]]:
        """The status subscription: an unknown invoice is one payload with errors, like Blink."""
        try:
            invoice = find()
        except GraphQLError as exc:
            error = {
                "__typename": "GraphQLApplicationError",
                "message": exc.message,
                "code": None,
                "path": None,
            }
            yield {"errors": [error]}
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
            yield {"errors": [], "update": shapes.price(self.ledger.clock, "USD")}
            while True:
                event = await queue.get()
                if event is not TICK:
                    yield {"errors": [], "update": event}

    async def _sub_price(
        self, _root: Any, _info: Any, input: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        currency = input.get("currency") or "USD"
        with self.hub.listen(PRICE_CHANNEL) as queue:
            yield {"errors": [], "realtimePrice": shapes.price(self.ledger.clock, currency)}
            while True:
                event = await queue.get()
                if event is not TICK:
                    yield {"errors": [], "realtimePrice": shapes.price(self.ledger.clock, currency)}
