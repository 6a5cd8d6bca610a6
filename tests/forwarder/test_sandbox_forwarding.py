"""The forwarder with the real BlinkHttp against the local Blink simulator, faults and SIGKILLs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from terminal.blink import BlinkHttp
from terminal.money import crashpoints
from terminal.money.destination import Destination
from terminal.money.forwarder import Forwarder
from terminal.money.journal import Journal
from terminal.money.policy import ForwardOutcome, ForwardResult, PolicyConfig
from terminal.money.sale import AttemptOutcome, InvoiceRef, SaleState
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread
from terminal.sandbox import Sandbox
from terminal.secret import Secret
from tests.support.timing import scaled

REPO = Path(__file__).resolve().parents[2]
AMOUNT = 2100
# Small waits: the sandbox answers at once, and sandbox time is moved by the forwarder's sleeps.
FAST = PolicyConfig(backoff_base=0.01, backoff_cap=0.1)


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[BlinkHttp]:
    client = BlinkHttp(
        sandbox.http_url, Secret("BlinkPOS", sandbox.keys["blinkpos"]), timeout=scaled(2)
    )
    yield client
    await client.aclose()


def forwarder(
    sandbox: Sandbox,
    journal: JournalThread,
    http: BlinkHttp,
    on_result: Callable[[ForwardResult], None] | None = None,
) -> Forwarder:
    async def sleep(seconds: float) -> None:
        # Waiting moves sandbox time, so backoffs and expiry margins pass without real waits.
        sandbox.clock.advance(seconds)
        await asyncio.sleep(0)

    wallets = Wallets(pos=sandbox.wallet_id("blinkpos"), merchant=sandbox.wallet_id("merchant"))
    return Forwarder(
        journal,
        http,
        WalletBook.known(wallets),
        Destination(http),
        clock=sandbox.clock.now,
        sleep=sleep,
        on_result=on_result,
        config=FAST,
    )


async def paid_sale(
    sandbox: Sandbox, journal: Journal, http: BlinkHttp, merchant_minutes: int = 1440
) -> str:
    """Confirm (both invoices journaled), then the customer pays, then detection marks it."""
    sale = journal.begin_sale(AMOUNT, "Table 4", sandbox.clock.now())
    pos = await http.create_invoice(
        sandbox.wallet_id("blinkpos"),
        AMOUNT,
        memo="Table 4",
        expires_in_minutes=15,
        external_id=sale.id,
    )
    merchant = await http.create_invoice_on_behalf(
        sandbox.wallet_id("merchant"), AMOUNT, memo="Table 4", expires_in_minutes=merchant_minutes
    )
    journal.record_invoices(
        sale.id,
        InvoiceRef(pos.payment_request, pos.payment_hash, pos.expires_at),
        InvoiceRef(merchant.payment_request, merchant.payment_hash, merchant.expires_at),
        sandbox.clock.now(),
    )
    assert await sandbox.pay(pos.payment_request, payer="customer") == "SUCCESS"
    assert journal.mark_received(sale.id, sandbox.clock.now())
    return sale.id


def merchant_payments(sandbox: Sandbox, journal: Journal, sale_id: str) -> int:
    sale = journal.sale(sale_id)
    refs = [*sale.replaced_merchants, *([sale.merchant] if sale.merchant else [])]
    return sum(len(sandbox.ledger.payments_for(ref.hash)) for ref in refs)


async def test_a_paid_sale_reaches_the_merchant(
    sandbox: Sandbox, journal: Journal, journal_thread: JournalThread, http: BlinkHttp
) -> None:
    sale_id = await paid_sale(sandbox, journal, http)
    assert sandbox.balance("blinkpos") == AMOUNT
    result = await forwarder(sandbox, journal_thread, http).forward(sale_id)
    assert result.outcome is ForwardOutcome.FORWARDED
    assert sandbox.balance("merchant") == AMOUNT
    assert sandbox.balance("blinkpos") == 0
    assert merchant_payments(sandbox, journal, sale_id) == 1


@pytest.mark.parametrize("kind", ["500", "429", "timeout"])
@pytest.mark.parametrize("execute", [True, False], ids=["answer-lost", "request-lost"])
async def test_a_faulty_pay_request_still_forwards_exactly_once(
    sandbox: Sandbox,
    journal: Journal,
    journal_thread: JournalThread,
    http: BlinkHttp,
    kind: str,
    execute: bool,
) -> None:
    sale_id = await paid_sale(sandbox, journal, http)
    # The sandbox matches faults on the root field (BlinkHttp sends no operationName).
    sandbox.faults.fail_next(1, kind, operation="lnInvoicePaymentSend", execute=execute)
    await forwarder(sandbox, journal_thread, http).forward(sale_id)
    first = journal.attempts(sale_id)[0]
    assert first.outcome is AttemptOutcome.LOST  # the fault really hit the pay request
    assert journal.sale(sale_id).state is SaleState.FORWARDED
    assert merchant_payments(sandbox, journal, sale_id) == 1
    assert sandbox.balance("merchant") == AMOUNT


async def test_an_expired_merchant_invoice_is_replaced(
    sandbox: Sandbox, journal: Journal, journal_thread: JournalThread, http: BlinkHttp
) -> None:
    sale_id = await paid_sale(sandbox, journal, http, merchant_minutes=5)
    old = journal.sale(sale_id).merchant
    sandbox.clock.advance(3 * 3600)  # offline for hours
    await forwarder(sandbox, journal_thread, http).forward(sale_id)
    sale = journal.sale(sale_id)
    assert sale.state is SaleState.FORWARDED
    assert sale.replaced_merchants == (old,)
    assert old is not None
    assert sandbox.ledger.payments_for(old.hash) == []
    assert merchant_payments(sandbox, journal, sale_id) == 1
    assert sandbox.balance("merchant") == AMOUNT


async def test_insufficient_balance_is_a_hard_failure(
    sandbox: Sandbox, journal: Journal, journal_thread: JournalThread, http: BlinkHttp
) -> None:
    sale_id = await paid_sale(sandbox, journal, http)
    # Somebody emptied the BlinkPOS wallet: the terminal must say so, not pretend.
    sandbox.ledger.wallet_of("blinkpos").balance = 0
    reports: list[ForwardOutcome] = []
    failing = asyncio.Event()

    def on_result(result: ForwardResult) -> None:
        reports.append(result.outcome)
        failing.set()

    fwd = forwarder(sandbox, journal_thread, http, on_result)
    task = asyncio.create_task(fwd.forward(sale_id))
    try:
        await asyncio.wait_for(failing.wait(), scaled(5))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert reports[0] is ForwardOutcome.FAILING
    assert journal.sale(sale_id).state is SaleState.RECEIVED
    assert merchant_payments(sandbox, journal, sale_id) == 0


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from terminal.blink import BlinkHttp
    from terminal.money.destination import Destination
    from terminal.money.forwarder import Forwarder
    from terminal.money.wallets import WalletBook, Wallets
    from terminal.money.worker import JournalThread
    from terminal.secret import Secret

    state, url, key_file, merchant, pos, sale_id = sys.argv[1:]

    async def main() -> None:
        journal = JournalThread.start(state)
        http = BlinkHttp(url, Secret("BlinkPOS", Path(key_file).read_text().strip()))
        wallets = WalletBook.known(Wallets(pos=pos, merchant=merchant))
        await Forwarder(journal, http, wallets, Destination(http)).forward(sale_id)
        print("finished", flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize(
    "point",
    [
        crashpoints.BEFORE_PAY,
        crashpoints.AFTER_PAY_SENT,
        crashpoints.AFTER_PAY_ANSWER,
        crashpoints.AFTER_MARK_FORWARDED,
    ],
)
async def test_a_power_cut_while_forwarding_then_a_restart_pays_exactly_once(
    sandbox: Sandbox,
    journal: Journal,
    journal_thread: JournalThread,
    http: BlinkHttp,
    tmp_path: Path,
    point: str,
) -> None:
    sale_id = await paid_sale(sandbox, journal, http)
    keys = sandbox.write_keys(tmp_path / "keys")
    env = dict(os.environ, PYTHONPATH=str(REPO), **{crashpoints.ENV_VAR: point})
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(tmp_path),
        sandbox.http_url,
        str(keys["blinkpos"]),
        sandbox.wallet_id("merchant"),
        sandbox.wallet_id("blinkpos"),
        sale_id,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(child.communicate(), scaled(30))
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    assert b"finished" not in stdout

    # The restart: a new forwarder over what the dead process left in the journal.
    results = await forwarder(sandbox, journal_thread, http).drain()
    assert all(r.outcome is ForwardOutcome.FORWARDED for r in results)
    assert journal.sale(sale_id).state is SaleState.FORWARDED
    assert merchant_payments(sandbox, journal, sale_id) == 1
    assert sandbox.balance("merchant") == AMOUNT
    assert sandbox.balance("blinkpos") == 0
