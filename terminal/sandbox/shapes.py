"""How the sandbox's records look in GraphQL answers: the dicts the resolvers return."""

from __future__ import annotations

from typing import Any

from terminal.sandbox.ledger import Invoice, Ledger, Transaction


def account(ledger: Ledger, username: str) -> dict[str, Any]:
    """A ``ConsumerAccount`` (the resolver of ``walletById`` reads ``username``)."""
    found = ledger.accounts[username]
    return {
        "__typename": "ConsumerAccount",
        "id": found.id,
        "username": username,
        "displayCurrency": found.display_currency,
        "defaultWallet": public_wallet(found.default_wallet.id, "BTC"),
        "wallets": [wallet(ledger, w.id) for w in found.wallets],
    }


def wallet(ledger: Ledger, wallet_id: str) -> dict[str, Any]:
    """A ``BTCWallet`` or ``UsdWallet``."""
    found = ledger.wallet(wallet_id)
    assert found is not None
    return {
        "__typename": "BTCWallet" if found.currency == "BTC" else "UsdWallet",
        "id": found.id,
        "walletCurrency": found.currency,
        "balance": found.balance,
        "pendingIncomingBalance": 0,
    }


def public_wallet(wallet_id: str, currency: str) -> dict[str, Any]:
    """A ``PublicWallet``."""
    return {"id": wallet_id, "currency": currency, "walletCurrency": currency}


def invoice(ledger: Ledger, invoice: Invoice) -> dict[str, Any]:
    """An ``LnInvoice`` with its status now."""
    return {
        "__typename": "LnInvoice",
        "paymentRequest": invoice.payment_request,
        "paymentHash": invoice.payment_hash,
        "paymentSecret": invoice.payment_secret,
        "satoshis": invoice.amount,
        "paymentStatus": ledger.status(invoice),
        "externalId": invoice.external_id,
        "createdAt": invoice.created_at,
    }


def transaction(ledger: Ledger, tx: Transaction) -> dict[str, Any]:
    """A ``Transaction`` as the schema shows it."""
    owner = ledger.wallet(tx.wallet_id)
    currency = owner.currency if owner else "BTC"
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
        # At the default USD 100 000 per BTC; the terminal does not read these two.
        "settlementDisplayAmount": f"{tx.amount / 1000:.2f}",
        "settlementDisplayCurrency": "USD",
        "initiationVia": {
            "__typename": "InitiationViaLn",
            "paymentHash": tx.payment_hash,
            "paymentRequest": tx.payment_request,
        },
        "settlementVia": _settlement_via(tx),
    }


def _settlement_via(tx: Transaction) -> dict[str, Any]:
    if tx.via == "lightning":
        return {"__typename": "SettlementViaLn", "preImage": tx.preimage}
    return {
        "__typename": "SettlementViaIntraLedger",
        "counterPartyWalletId": tx.counterparty_wallet_id,
        "counterPartyUsername": tx.counterparty_username,
        "preImage": tx.preimage,
    }


def status(ledger: Ledger, invoice: Invoice, *, payload: bool) -> dict[str, Any]:
    """``LnInvoicePaymentStatus`` (query) or ``...Payload`` (subscription, with ``errors``)."""
    status = ledger.status(invoice)
    shape: dict[str, Any] = {
        "status": status,
        "paymentHash": invoice.payment_hash,
        "paymentRequest": invoice.payment_request,
        "paymentPreimage": invoice.preimage if status == "PAID" else None,
    }
    if payload:
        shape["errors"] = []
    return shape


def ln_update(ledger: Ledger, invoice: Invoice, received: Transaction) -> dict[str, Any]:
    """The ``LnUpdate`` the receiver's ``myUpdates`` gets when an invoice is paid (§5)."""
    return {
        "__typename": "LnUpdate",
        "status": "PAID",
        "paymentHash": invoice.payment_hash,
        "walletId": invoice.wallet_id,
        "transaction": transaction(ledger, received),
    }


def app_error(message: str, code: str | None = None) -> dict[str, Any]:
    """An ``Error`` inside a payload's ``errors`` (a business error, API-NOTES §5)."""
    return {"__typename": "GraphQLApplicationError", "message": message, "code": code, "path": None}
