"""A sale's first pay request, planned so that it is journaled together with the payment.

When Blink reports one of our sales paid, nothing can suggest an earlier pay attempt: a sale gets
attempts only once it is received, and it is being received right now. So the forwarder's first
step is known in advance: pay the merchant's invoice, if the payout guard allows it. Planning it
before the journal write lets ONE transaction record both "received" and the attempt (one fsync
instead of two, and no re-reads), and the pay request leaves straight after that commit.

The order exactly-once needs is kept: the attempt is durable before the request leaves, and the
guard and the policy judged exactly the sale that the same transaction stored (the plan runs on
the journal's thread, inside the transaction, on the sale as received). Whenever anything is not
known locally (Blink's time or nodes, the merchant's confirmation, the sale's wallets), there is no
plan and the forwarder takes its ordinary path: nothing on the network stands between a payment
and its journal record.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.errors import PayoutGuardError
from terminal.money.guard import check_payout
from terminal.money.policy import Action, Do, PolicyConfig, Started, next_step
from terminal.money.sale import PayoutRole, Sale


@dataclass(frozen=True)
class FirstPay:
    """A planned pay request: the payout and its current invoice, and Blink's time when planned."""

    role: PayoutRole
    invoice_hash: str
    blink_now: float


@dataclass(frozen=True)
class JournaledPay:
    """A first pay request whose attempt is durable (id ``attempt``): it may be sent now."""

    role: PayoutRole
    invoice_hash: str
    attempt: int


@dataclass(frozen=True)
class FirstPayPlanner:
    """What the policy and the guard need, as the event loop saw it; pure from here on.

    Called with the sale as received (inside the transaction that receives it): the first pay
    request the forwarder would make for it, or None when it would do anything else first.
    """

    blink_now: float
    node_ids: frozenset[str]
    confirm_owner: bool  # the merchant's key is configured: its invoice must be confirmed theirs
    config: PolicyConfig

    def __call__(self, sale: Sale) -> FirstPay | None:
        """The first pay request for ``sale`` (just received, no attempts), or None."""
        if not (sale.pos_wallet and sale.merchant_wallet):
            return None  # a sale from before version 3: its wallets need a lookup first
        payout = next((p for p in sale.payouts() if not p.done), None)
        if payout is None or payout.invoice is None:
            return None
        confirm = self.confirm_owner and payout.role is PayoutRole.MERCHANT
        if confirm and not payout.invoice.verified:
            return None  # Blink must be asked first (a network call): the ordinary path does
        step = next_step(
            sale, [], Started(), now=self.blink_now, config=self.config, role=payout.role
        )
        if step != Do(Action.PAY):
            return None
        try:
            check_payout(
                sale,
                payout.invoice.request,
                now=self.blink_now,
                margin=self.config.expiry_margin,
                node_ids=self.node_ids,
                require_verified=confirm,
                role=payout.role,
            )
        except PayoutGuardError:
            return None  # the ordinary path runs the guard again and reports why
        return FirstPay(payout.role, payout.invoice.hash, self.blink_now)
