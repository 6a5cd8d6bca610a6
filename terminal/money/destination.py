"""Where a sale's money may go: Blink's own nodes, and the merchant's own word for an invoice.

Two questions the payout guard needs answered by Blink, asked once and remembered where the
answer cannot change:

* which node keys are Blink's (``globals.nodesIds``): a merchant invoice must be payable to one
  of them, so the payment settles inside Blink to a Blink wallet;
* with the merchant's READ key, if configured: does this invoice belong to the merchant's
  wallet? (An invoice swapped for another account's would pass every other check.)
"""

from __future__ import annotations

from typing import Protocol

from terminal.blink.models import WalletInvoice


class NodeSource(Protocol):
    """Blink's public ``globals`` (the BlinkPOS client has it)."""

    async def node_ids(self) -> frozenset[str]:
        """Blink's node public keys, lower-case hex."""
        ...


class InvoiceOwner(Protocol):
    """The merchant's READ-key client."""

    async def invoice_by_hash(self, wallet_id: str, payment_hash: str) -> WalletInvoice | None:
        """The wallet's invoice with that hash, or None if the wallet has none."""
        ...


class Destination:
    """Blink's nodes (asked once) and, with the merchant's key, who owns an invoice."""

    def __init__(self, nodes: NodeSource, merchant: InvoiceOwner | None = None) -> None:
        self._nodes = nodes
        self._merchant = merchant
        self._node_ids: frozenset[str] | None = None

    @property
    def verifies_owner(self) -> bool:
        """True when the merchant's READ key is configured, so ownership can be checked."""
        return self._merchant is not None

    def known_nodes(self) -> frozenset[str] | None:
        """Blink's node keys if already asked, else None (no network)."""
        return self._node_ids

    async def nodes(self) -> frozenset[str]:
        """Blink's node keys, asked once (raises BlinkError while Blink cannot answer)."""
        if self._node_ids is None:
            found = await self._nodes.node_ids()
            self._node_ids = frozenset(n.lower() for n in found)
        return self._node_ids

    async def owned_by_merchant(self, wallet_id: str, payment_hash: str) -> bool:
        """True if Blink, asked with the merchant's key, says the wallet owns the invoice.

        Call only when :attr:`verifies_owner`; raises BlinkError when Blink cannot answer.
        """
        assert self._merchant is not None
        found = await self._merchant.invoice_by_hash(wallet_id, payment_hash)
        return found is not None and found.payment_hash.lower() == payment_hash.lower()
