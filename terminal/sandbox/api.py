"""Blink's GraphQL operations, resolved against the sandbox ledger with graphql-core.

Queries and mutations are here; the subscriptions are in :mod:`terminal.sandbox.subscriptions`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
from terminal.sandbox.faults import Faults, Tamper
from terminal.sandbox.hub import Hub
from terminal.sandbox.invoices import NODE_PUBKEY
from terminal.sandbox.ledger import WALLET_ERROR, ApiKey, Ledger
from terminal.sandbox.lookups import find_by_hash, find_by_request, top_error
from terminal.sandbox.prices import PriceBoard, UnknownCurrency, currency_shape, realtime_price
from terminal.sandbox.subscriptions import Streams

READ_DENIED = "API key not authorized to read data"
MUTATION_DENIED = "API key not authorized to execute mutations"


def load_schema() -> GraphQLSchema:
    """The sandbox's own subset of Blink's public schema (``schema.graphql`` beside this)."""
    text = resources.files("terminal.sandbox").joinpath("schema.graphql").read_text()
    return build_schema(text)


@dataclass(frozen=True)
class Caller:
    """Who is asking (the key from the header or ``connection_init``, or None: public), and
    the falsification a ``tamper`` fault asks of this request's answer."""

    key: ApiKey | None = None
    tamper: Tamper | None = None


def _err(exc: BlinkRejected) -> dict[str, Any]:
    return shapes.app_error(exc.blink_message, exc.code)


def _require_scope(key: ApiKey, any_of: set[str]) -> None:
    """§7 Corrections: a mutation scope denial is a payload error, not a top-level one."""
    if not key.scopes & any_of:
        raise BlinkRejected(MUTATION_DENIED)


def root_fields(document: DocumentNode, operation_name: str | None) -> tuple[str, set[str]]:
    """The operation kind ("query", "mutation", "subscription") and its root field names."""
    op = chosen_operation(document, operation_name)
    if op is None:
        return "query", set()
    names = {s.name.value for s in op.selection_set.selections if hasattr(s, "name")}
    return op.operation.value, names


def chosen_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named, or the first."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    return chosen[0] if chosen else None


class BlinkApi:
    """The schema with resolvers attached; executes queries, mutations and subscriptions."""

    def __init__(self, ledger: Ledger, hub: Hub, prices: PriceBoard, faults: Faults) -> None:
        self.ledger = ledger
        self.hub = hub
        self.prices = prices
        self.schema = load_schema()
        self.streams = Streams(ledger, hub, prices, faults)
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
        on("Query", "realtimePrice", self._realtime_price)
        on("Query", "currencyList", self._currency_list)
        on("Query", "globals", self._globals)
        on(
            "Query",
            "lnInvoicePaymentStatusByHash",
            lambda _r, _i, input: shapes.status(
                self.ledger, find_by_hash(self.ledger, input.get("paymentHash")), payload=False
            ),
        )
        on(
            "Query",
            "lnInvoicePaymentStatusByPaymentRequest",
            lambda _r, _i, input: shapes.status(
                self.ledger,
                find_by_request(self.ledger, input.get("paymentRequest")),
                payload=False,
            ),
        )
        on("ConsumerAccount", "walletById", self._wallet_by_id)
        for wallet_type in ("BTCWallet", "UsdWallet"):
            on(wallet_type, "invoiceByPaymentHash", self._invoice_by_hash)
            on(wallet_type, "transactionsByPaymentHash", self._txs_by_hash)
        on("Mutation", "lnInvoiceCreate", self._invoice_create)
        on("Mutation", "lnInvoiceCreateOnBehalfOfRecipient", self._invoice_create_for)
        on("Mutation", "lnInvoicePaymentSend", self._payment_send)
        sub = self.schema.subscription_type
        assert sub is not None
        self.streams.wire(sub)

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
    ) -> Any:
        """Start a subscription: an async iterator of results, or one result carrying errors."""
        result = subscribe(self.schema, document, None, caller, variables, op)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return result

    def parse(self, query: str) -> DocumentNode:
        """Parse a document; ``GraphQLError`` (a syntax error) if it does not parse."""
        return parse(query)

    def validate(self, document: DocumentNode) -> list[GraphQLError]:
        """The document's validation errors against the subset (none: it may run)."""
        return list(validate(self.schema, document))

    # auth helpers

    @staticmethod
    def _reader(info: Any) -> ApiKey:
        key: ApiKey | None = info.context.key
        if key is None:
            raise top_error("Not authenticated", "NOT_AUTHENTICATED")
        if "READ" not in key.scopes:
            raise top_error(READ_DENIED, "NOT_AUTHORIZED")
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
            raise top_error("Invalid walletId for account.", "INVALID_INPUT")
        return shapes.wallet(self.ledger, wallet.id)

    def _invoice_by_hash(
        self, wallet: dict[str, Any], _info: Any, paymentHash: str
    ) -> dict[str, Any]:
        invoice = self.ledger.invoices.get(paymentHash)
        if invoice is None or invoice.wallet_id != wallet["id"]:
            # A guess at Blink's answer: the wallet-invoice lookup fails with
            # CouldNotFindWalletInvoiceError, which core's error map words like this.
            raise top_error(
                f"User tried to pay invoice with hash {paymentHash}, but it does not exist",
                "LIGHTNING_PAYMENT_ERROR",
            )
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
            raise top_error(f"Account does not exist for username {username}", "NOT_FOUND")
        wallet = self.ledger.wallet_of(found, walletCurrency or "BTC")
        return shapes.public_wallet(wallet.id, wallet.currency)

    def _realtime_price(self, _root: Any, _info: Any, currency: str | None = "USD") -> Any:
        # Blink's argument defaults to USD whoever asks; an explicit null is read as USD too.
        code = currency or "USD"
        try:
            return realtime_price(self.prices.quote(code))
        except UnknownCurrency as exc:
            raise top_error(f"Unsupported display currency {code}", "INVALID_INPUT") from exc

    def _currency_list(self, _root: Any, _info: Any) -> list[dict[str, Any]]:
        return [currency_shape(c) for c in self.prices.currencies()]

    def _globals(self, _root: Any, _info: Any) -> dict[str, Any]:
        return {
            "network": "mainnet",
            # The key that signs every sandbox invoice: a payee in this list is "ours".
            "nodesIds": [NODE_PUBKEY],
            "lightningAddressDomain": "blink.sv",
        }

    # mutations

    def _invoice_create(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        key: ApiKey | None = info.context.key
        if key is None:
            raise top_error("Not authenticated", "NOT_AUTHENTICATED")
        try:
            _require_scope(key, {"RECEIVE", "WRITE"})
            wallet_id = self._owned_wallet(key, input.get("walletId"))
        except BlinkRejected as exc:
            return {"invoice": None, "errors": [_err(exc)]}
        return self._make_invoice(wallet_id, input, info.context.tamper)

    def _invoice_create_for(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return self._make_invoice(str(input.get("recipientWalletId")), input, info.context.tamper)

    def _make_invoice(
        self, wallet_id: str, input: dict[str, Any], tamper: Tamper | None
    ) -> dict[str, Any]:
        """Issue the invoice; a ``tamper`` fault changes what it really is, not what JSON says."""
        amount = input.get("amount")
        if tamper is not None and tamper.payee is not None:
            wallet_id = self.ledger.wallet_of(tamper.payee).id
        real_amount = tamper.amount_sats if tamper and tamper.amount_sats else amount
        try:
            invoice = self.ledger.create_invoice(
                wallet_id,
                real_amount,
                input.get("memo"),
                input.get("expiresIn"),
                input.get("externalId"),
            )
        except BlinkRejected as exc:
            return {"invoice": None, "errors": [_err(exc)]}
        shown = shapes.invoice(self.ledger, invoice)
        shown["satoshis"] = amount  # what was asked for, whatever the BOLT11 says
        return {"invoice": shown, "errors": []}

    def _payment_send(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        key: ApiKey | None = info.context.key
        if key is None:
            raise top_error("Not authenticated", "NOT_AUTHENTICATED")
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
