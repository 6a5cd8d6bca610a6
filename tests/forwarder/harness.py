"""Shared set-up for forwarder tests: a journal, the fake Blink, and paid sales in between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from terminal.money.destination import Destination
from terminal.money.forwarder import Forwarder
from terminal.money.journal import Journal
from terminal.money.policy import DEFAULT_POLICY, ForwardResult, PolicyConfig
from terminal.money.sale import InvoiceRef
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread
from tests.forwarder.fake_blink import FakeBlink, FakeClock, make_invoice

START = 1_800_000_000.0
POS_WALLET = "pos-wallet"
MERCHANT_WALLET = "merchant-wallet"


@dataclass
class Rig:
    """A journal and a fake Blink sharing one simulated clock."""

    journal: Journal  # for the test's own reads and set-up
    thread: JournalThread  # the same file, as the forwarder holds it in the running terminal
    blink: FakeBlink
    clock: FakeClock
    results: list[ForwardResult] = field(default_factory=list)

    def close(self) -> None:
        """Close both connections to the journal."""
        self.thread.close()
        self.journal.close()

    def forwarder(
        self,
        *,
        config: PolicyConfig = DEFAULT_POLICY,
        call_timeout: float = 30.0,
        on_result: Callable[[ForwardResult], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        local_clock: Callable[[], float] | None = None,
    ) -> Forwarder:
        """A fresh forwarder (as after a restart) over the same journal and Blink."""
        return Forwarder(
            self.thread,
            self.blink,
            WalletBook.known(Wallets(pos=POS_WALLET, merchant=MERCHANT_WALLET)),
            Destination(self.blink),
            # The terminal's own wall clock: by default the true time; a test may skew it.
            clock=local_clock or self.clock,
            sleep=sleep or self.clock.sleep,
            on_result=on_result or self.results.append,
            rng=lambda: 1.0,
            call_timeout=call_timeout,
            config=config,
        )

    def paid_sale(self, amount: int = 2100, merchant_expiry: int = 86_400) -> str:
        """A sale taken through confirm (both invoices journaled) and detection (paid)."""
        sale_id, _ = self.open_sale(amount, merchant_expiry)
        self.journal.mark_received(sale_id, self.clock.now)
        return sale_id

    def open_sale(self, amount: int = 2100, merchant_expiry: int = 86_400) -> tuple[str, str]:
        """A sale taken through confirm (both invoices journaled): its id and POS hash."""
        now = self.clock.now
        sale = self.journal.begin_sale(
            amount, "Table 4", now, pos_wallet=POS_WALLET, merchant_wallet=MERCHANT_WALLET
        )
        pos = make_invoice(amount, now=now, expiry=900)
        merchant = self.blink.terminal_invoice(amount, MERCHANT_WALLET, merchant_expiry)
        self.journal.record_invoices(
            sale.id,
            InvoiceRef(pos.payment_request, pos.payment_hash, pos.expires_at),
            InvoiceRef(merchant.payment_request, merchant.payment_hash, merchant.expires_at),
            now,
        )
        return sale.id, pos.payment_hash

    def merchant_hashes(self, sale_id: str) -> list[str]:
        """Every merchant invoice the sale ever had, current last."""
        sale = self.journal.sale(sale_id)
        hashes = [ref.hash for ref in sale.replaced_merchants]
        if sale.merchant is not None:
            hashes.append(sale.merchant.hash)
        return hashes

    def payments_for_sale(self, sale_id: str) -> int:
        """How many times the merchant was paid for this sale, over all its invoices."""
        return sum(self.blink.payments_for(h) for h in self.merchant_hashes(sale_id))


def make_rig(directory: Path, **blink_options: float | int | None) -> Rig:
    """A rig with a journal in ``directory``."""
    clock = FakeClock(START)
    blink = FakeBlink(clock, **blink_options)  # type: ignore[arg-type]
    return Rig(Journal.open(directory), JournalThread.start(directory), blink, clock)
