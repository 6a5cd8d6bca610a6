"""The forwarder: every received sale reaches the merchant exactly once, through crashes.

A thin asyncio loop around :func:`terminal.money.policy.next_step`: it reloads the sale from
the journal, asks the policy for the next step, carries it out against Blink, and turns the
result (or the exception) into an observation for the next round. Everything that matters for
exactly-once is journaled *before* the request that depends on it leaves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from terminal.blink.models import Invoice, InvoiceStatus, PaymentOutcome, PaymentStatus
from terminal.errors import (
    BlinkError,
    InsufficientBalance,
    KeyRejected,
    PayoutGuardError,
    RateLimited,
    ScopeDenied,
)
from terminal.money import crashpoints
from terminal.money.destination import Destination
from terminal.money.firstpay import FirstPayPlanner, JournaledPay
from terminal.money.guard import check_payout
from terminal.money.journal import Journal
from terminal.money.policy import (
    DEFAULT_POLICY,
    Action,
    CallLost,
    Do,
    Done,
    FailHard,
    ForwardOutcome,
    ForwardResult,
    GuardRefused,
    HardFailure,
    Observation,
    PayAnswered,
    PayLost,
    PolicyConfig,
    Replaced,
    Started,
    StatusAnswered,
    Throttled,
    Wait,
    is_setback,
    next_step,
    should_report,
)
from terminal.money.sale import (
    AttemptOutcome,
    ForwardAttempt,
    InvoiceRef,
    Payout,
    PayoutRole,
    Sale,
    SaleState,
)
from terminal.money.wallets import WalletBook, Wallets
from terminal.money.worker import JournalThread
from terminal.secret import redact

log = logging.getLogger(__name__)

# Blink allows BTC invoices up to 24 h. The merchant invoice (the first and any replacement)
# must outlive the POS invoice by hours, so a stall that was offline when its customer paid can
# still forward it later.
MERCHANT_INVOICE_MINUTES = 24 * 60
DEFAULT_CALL_TIMEOUT = 30.0


class ForwardApi(Protocol):
    """The BlinkPOS calls the forwarder makes (``terminal.blink.BlinkHttp`` has them)."""

    async def pay_invoice(
        self, wallet_id: str, payment_request: str, *, memo: str | None = None
    ) -> PaymentOutcome:
        """Pay a BOLT11 from ``wallet_id``."""
        ...

    async def invoice_status(self, payment_hash: str) -> InvoiceStatus:
        """PENDING, PAID or EXPIRED for an invoice's hash."""
        ...

    def blink_now(self) -> float | None:
        """Blink's time, as its last answer said (moved on monotonically); None before one."""
        ...

    async def create_invoice_on_behalf(
        self,
        recipient_wallet_id: str,
        amount_sats: int,
        *,
        memo: str | None = None,
        expires_in_minutes: int | None = None,
        external_id: str | None = None,
    ) -> Invoice:
        """An invoice paying into ``recipient_wallet_id``."""
        ...


async def create_merchant_invoice(
    api: ForwardApi, wallet_id: str, sale_id: str, amount_sats: int, memo: str
) -> Invoice:
    """The merchant's invoice for a sale: the sale's first one, and any replacement, alike."""
    return await api.create_invoice_on_behalf(
        wallet_id,
        amount_sats,
        memo=f"{memo} sale {sale_id}" if memo else f"sale {sale_id}",
        expires_in_minutes=MERCHANT_INVOICE_MINUTES,
    )


def invoice_ref(invoice: Invoice) -> InvoiceRef:
    """An invoice Blink made, as the journal keeps it."""
    return InvoiceRef(
        invoice.payment_request, invoice.payment_hash.lower(), float(invoice.expires_at)
    )


async def _real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class Forwarder:
    """Forwards received sales from the BlinkPOS wallet to the merchant, exactly once each.

    One task per sale: :meth:`forward` joins the sale's running task if there is one, so two
    callers never forward one sale twice at once (harmless for the money, since Blink never pays
    an invoice twice, but it could make two replacement invoices).
    """

    def __init__(
        self,
        journal: JournalThread,
        api: ForwardApi,
        wallets: WalletBook,
        destination: Destination,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = _real_sleep,
        on_result: Callable[[ForwardResult], None] | None = None,
        rng: Callable[[], float] = random.random,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        config: PolicyConfig = DEFAULT_POLICY,
    ) -> None:
        self._journal = journal
        self._api = api
        self._wallets = wallets
        self._destination = destination
        self._clock = clock
        # Attempts journaled before Blink-clock timing: when this process first saw each, on
        # Blink's clock (only ever later than the truth, so a margin from it can only be longer).
        self._first_seen: dict[int, float] = {}
        self._sleep = sleep
        self._on_result = on_result
        self._rng = rng
        self._call_timeout = call_timeout
        self._config = config
        self._wake = asyncio.Event()
        self._retry = asyncio.Event()  # set by retry_now: every waiting forward asks afresh
        self._tasks: dict[str, asyncio.Task[ForwardResult]] = {}
        self._held: set[str] = set()
        self._group: asyncio.TaskGroup | None = None  # run()'s, while it runs

    def wake(self) -> None:
        """A sale was journaled received: look for work now (the settler's one call here)."""
        self._wake.set()

    def retry_now(self) -> None:
        """Stop every forward's wait (a backoff, a slow retry after a hard failure) and re-ask.

        Not a shortcut past the rules: a forward woken early starts over from ``Started``, so
        the policy asks Blink for the merchant invoice's status before it pays or replaces
        anything (a replacement still waits out the in-flight margin).
        """
        self._retry.set()
        self._wake.set()

    def first_pay_plan(self) -> FirstPayPlanner | None:
        """What a just-received sale's first pay request needs, as known now (no network);
        None while Blink's time or nodes are unknown (then the sale takes the ordinary path),
        and while :meth:`run` is not running (nothing would send it: a journal that is not
        this device's is not forwarded from, so it gets no attempts either)."""
        now = self._api.blink_now()
        nodes = self._destination.known_nodes()
        if self._group is None or now is None or nodes is None:
            return None
        return FirstPayPlanner(now, nodes, self._destination.verifies_owner, self._config)

    def hand_over(self, sale: Sale, first_pay: JournaledPay | None) -> None:
        """Forward ``sale`` (journaled received) now, unless it is being forwarded already or
        held for a person. With ``first_pay`` (its attempt journaled in the transaction that
        received ``sale``, which is thus exactly as stored) that request leaves first, with no
        re-read; otherwise the sale is read afresh. Without :meth:`run` running, only wakes."""
        if sale.id in self._tasks or sale.id in self._held:
            # A journaled first attempt never sent (impossible: the sale was only now
            # received) is what a crash before the pay request leaves: the policy asks first.
            return
        if self._group is None:
            self._wake.set()
            return
        handed = sale if first_pay is not None else None
        task = self._task(sale.id, handed, first_pay)
        self._group.create_task(self._follow(sale.id, task))

    async def forward(self, sale_id: str) -> ForwardResult:
        """Forward one received sale; returns once forwarded, or held by the payout guard."""
        # Not shielded: cancelling the caller (a shutdown, a power cut in a test) stops it.
        return await self._task(sale_id)

    def _task(
        self, sale_id: str, sale: Sale | None = None, first_pay: JournaledPay | None = None
    ) -> asyncio.Task[ForwardResult]:
        """The sale's running forward, started if there is none."""
        task = self._tasks.get(sale_id)
        if task is None:
            work = self._forward(sale_id, sale, first_pay)
            task = asyncio.get_running_loop().create_task(work)
            self._tasks[sale_id] = task
            task.add_done_callback(lambda _: self._tasks.pop(sale_id, None))
        return task

    async def drain(self) -> list[ForwardResult]:
        """Forward every sale that is received but not forwarded, concurrently; their results."""
        sales = await self._journal.call(Journal.unforwarded_received)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self.forward(sale.id)) for sale in sales]
        return [task.result() for task in tasks]

    async def run(self) -> None:
        """Forward received sales forever: those owed at start, then whenever woken."""
        async with asyncio.TaskGroup() as group:
            self._group = group
            try:
                while True:
                    self._wake.clear()
                    for sale in await self._journal.call(Journal.unforwarded_received):
                        # A held sale needs a person; retrying it on every wake only adds noise.
                        if sale.id not in self._tasks and sale.id not in self._held:
                            group.create_task(self._follow(sale.id, self._task(sale.id)))
                    await self._wake.wait()
            finally:
                self._group = None

    async def _follow(self, sale_id: str, task: asyncio.Task[ForwardResult]) -> None:
        """Await a forward inside run()'s task group (its errors end run()); note a held sale."""
        result = await task
        if result.outcome is ForwardOutcome.HELD:
            self._held.add(sale_id)

    # --- the loop -------------------------------------------------------------------------

    async def _forward(
        self, sale_id: str, handed: Sale | None = None, first_pay: JournaledPay | None = None
    ) -> ForwardResult:
        # A sale handed over by the settler is exactly as the journal just stored it.
        sale = handed if handed is not None else await self._journal.call(Journal.sale, sale_id)
        if sale.state is SaleState.FORWARDED:
            return ForwardResult(sale_id, ForwardOutcome.FORWARDED, "already forwarded")
        if sale.state is not SaleState.RECEIVED:
            return ForwardResult(sale_id, ForwardOutcome.NOT_RECEIVED, sale.state.value)
        wallets = await self._wallets_of(sale)
        # Each payout (the merchant's, then a tip recipient's) by the same rules, one at a time:
        # the journal marks each paid, and the sale forwarded once the last one is.
        for payout in sale.payouts():
            if not payout.done:
                first = first_pay if first_pay and first_pay.role is payout.role else None
                held = await self._forward_payout(sale_id, payout.role, wallets, sale, first)
                if held is not None:
                    return held
        return await self._done(await self._journal.call(Journal.sale, sale_id))

    async def _forward_payout(
        self,
        sale_id: str,
        role: PayoutRole,
        wallets: Wallets,
        sale: Sale,
        first_pay: JournaledPay | None = None,
    ) -> ForwardResult | None:
        """Forward one payout until it is paid (None), or the guard holds it (its result).

        ``first_pay``: a pay request already journaled (with the payment, after the guard
        passed on ``sale`` as stored): it is sent first, then the policy goes on as usual.
        """
        observation: Observation = Started()
        failures = 0
        if first_pay is not None:
            payout = sale.payout(role)
            assert payout is not None
            assert payout.invoice is not None
            assert payout.invoice.hash == first_pay.invoice_hash  # the journal checked it
            observation = await self._send(sale, payout.invoice, first_pay.attempt, wallets.pos)
            if is_setback(observation):
                failures += 1
                self._setback(sale_id, observation, failures)
        while True:
            sale = await self._journal.call(Journal.sale, sale_id)
            now = self._api.blink_now()
            step = next_step(
                sale,
                self._timed(await self._journal.call(Journal.attempts, sale_id), now),
                observation,
                now=now,
                failures=failures,
                jitter=self._rng(),
                config=self._config,
                role=role,
            )
            match step:
                case Done():
                    await self._payout_done(sale, role)
                    return None
                case Do(action=action):
                    pass
                case Wait(seconds=seconds, then=action):
                    if await self._wait(seconds):
                        observation, failures = Started(), 0
                        continue
                case FailHard(reason=reason, retry_in=retry_in, then=action):
                    if retry_in is None:
                        log.error("sale %s: not forwarded: %s", sale_id, reason)
                        return self._report(sale_id, ForwardOutcome.HELD, reason)
                    log.error(
                        "sale %s: forward failing, retry in %.0f s: %s", sale_id, retry_in, reason
                    )
                    self._report(sale_id, ForwardOutcome.FAILING, reason)
                    if await self._wait(retry_in):
                        observation, failures = Started(), 0
                        continue
            sale = await self._journal.call(Journal.sale, sale_id)
            observation = await self._carry_out(action, sale, role, wallets)
            if is_setback(observation):
                failures += 1
                self._setback(sale_id, observation, failures)

    async def _payout_done(self, sale: Sale, role: PayoutRole) -> None:
        """Journal the payout paid (the sale forwarded, if it was the last one)."""
        if sale.state is SaleState.FORWARDED:
            return
        payout = sale.payout(role)
        assert payout is not None  # Done is only ever said of a payout with an invoice
        assert payout.invoice is not None
        if await self._journal.call(
            Journal.mark_payout_done, sale.id, payout.invoice.hash, self._clock()
        ):
            crashpoints.crashpoint(crashpoints.AFTER_MARK_FORWARDED)

    def _setback(self, sale_id: str, observation: Observation, failures: int) -> None:
        """Log the first setback; tell the operator every ``report_after`` in a row."""
        if failures == 1:
            log.warning("sale %s: forward held up: %s", sale_id, observation)
        if should_report(failures, self._config):
            detail = getattr(observation, "detail", "") or type(observation).__name__
            self._report(
                sale_id,
                ForwardOutcome.DELAYED,
                f"not forwarded after {failures} tries, still trying: {detail}",
            )

    async def _wallets_of(self, sale: Sale) -> Wallets:
        """The wallets the sale was made for (locked in the journal when it was made).

        No lookup (which may be failing, or may now name another wallet) stands between a
        journaled sale and its forward; only a sale from a journal older than version 3 waits
        for the configured wallets.
        """
        if sale.pos_wallet and sale.merchant_wallet:
            return Wallets(pos=sale.pos_wallet, merchant=sale.merchant_wallet)
        return await self._wallets.get()

    def _timed(self, attempts: list[ForwardAttempt], now: float | None) -> list[ForwardAttempt]:
        """``attempts`` with Blink's time filled in for those journaled without it."""
        if now is None:
            return attempts
        return [
            a
            if a.started_blink is not None
            else dataclasses.replace(a, started_blink=self._first_seen.setdefault(a.id, now))
            for a in attempts
        ]

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; True if :meth:`retry_now` cut it short (then ask the policy again)."""
        self._retry.clear()
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        retry = asyncio.ensure_future(self._retry.wait())
        try:
            done, _ = await asyncio.wait({sleeper, retry}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            retry.cancel()
        return retry in done and sleeper not in done

    async def _done(self, sale: Sale) -> ForwardResult:
        merchant_hash = sale.merchant.hash if sale.merchant else "?"
        split = f" and {sale.tip_sats} sats of tip to its recipient" if sale.tip_wallet else ""
        log.info(
            "sale %s: %d sats received and forwarded to the merchant%s (merchant invoice %s…)",
            sale.id,
            sale.amount_sats,
            split,
            merchant_hash[:12],
        )
        return self._report(sale.id, ForwardOutcome.FORWARDED, amount_sats=sale.amount_sats)

    def _report(
        self, sale_id: str, outcome: ForwardOutcome, detail: str = "", *, amount_sats: int = 0
    ) -> ForwardResult:
        result = ForwardResult(sale_id, outcome, redact(detail), amount_sats)
        if self._on_result is not None:
            self._on_result(result)
        return result

    async def _carry_out(
        self, action: Action, sale: Sale, role: PayoutRole, wallets: Wallets
    ) -> Observation:
        payout = sale.payout(role)
        if sale.state is not SaleState.RECEIVED or payout is None or payout.invoice is None:
            # Another forward of the same sale finished it meanwhile; the policy sees that.
            return Started()
        if action is Action.PAY:
            return await self._pay(sale, role, wallets.pos)
        if action is Action.ASK_STATUS:
            return await self._ask_status(payout.invoice.hash)
        wallet = payout.wallet or wallets.merchant  # a sale from before version 3: configured
        return await self._replace(sale, payout, wallet)

    async def _pay(self, sale: Sale, role: PayoutRole, pos_wallet_id: str) -> Observation:
        # Only the merchant's key can confirm ownership: a tip recipient's invoice is checked
        # for its amount, hash, expiry and Blink's node like every other.
        confirm = self._destination.verifies_owner and role is PayoutRole.MERCHANT
        checked = await self._destination_checked(sale, confirm)
        if not isinstance(checked, Sale):
            return checked
        sale = checked
        payout = sale.payout(role)
        invoice = None if payout is None else payout.invoice
        blink_now = self._api.blink_now()
        try:
            check_payout(
                sale,
                "" if invoice is None else invoice.request,
                now=blink_now,
                margin=self._config.expiry_margin,
                node_ids=self._destination.known_nodes(),
                require_verified=confirm,
                role=role,
            )
        except PayoutGuardError as exc:
            return GuardRefused(str(exc))
        assert invoice is not None  # the guard refused a payout without one
        attempt = await self._journal.call(
            Journal.begin_forward_attempt, sale.id, invoice.hash, self._clock(), blink_now
        )
        return await self._send(sale, invoice, attempt, pos_wallet_id)

    async def _send(
        self, sale: Sale, invoice: InvoiceRef, attempt: int, pos_wallet_id: str
    ) -> Observation:
        """Send the pay request whose attempt is journaled; journal and return its answer."""
        crashpoints.crashpoint(crashpoints.BEFORE_PAY)
        try:
            async with asyncio.timeout(self._call_timeout):
                answer = await self._api.pay_invoice(
                    pos_wallet_id, invoice.request, memo=f"sale {sale.id}"
                )
        except InsufficientBalance as exc:
            return await self._finish(
                attempt,
                AttemptOutcome.INSUFFICIENT_BALANCE,
                exc,
                HardFailure(f"the BlinkPOS wallet cannot pay: {exc}"),
            )
        except (KeyRejected, ScopeDenied) as exc:
            return await self._finish(
                attempt, AttemptOutcome.KEY_REFUSED, exc, HardFailure(str(exc))
            )
        except RateLimited as exc:
            return await self._finish(
                attempt, AttemptOutcome.LOST, exc, Throttled(Action.PAY, exc.retry_after)
            )
        except (BlinkError, TimeoutError) as exc:
            return await self._finish(attempt, AttemptOutcome.LOST, exc, PayLost(_describe(exc)))
        crashpoints.crashpoint(crashpoints.AFTER_PAY_SENT)
        detail = "; ".join(e.message for e in answer.errors)
        await self._journal.call(
            Journal.finish_forward_attempt,
            attempt,
            _ATTEMPT_OUTCOMES[answer.status],
            self._clock(),
            detail,
        )
        crashpoints.crashpoint(crashpoints.AFTER_PAY_ANSWER)
        return PayAnswered(answer.status, redact(detail))

    async def _destination_checked(self, sale: Sale, confirm: bool) -> Sale | Observation:
        """The sale once Blink's nodes are known and (``confirm``) the merchant's key has said
        its merchant invoice is theirs (journaled); else what stood in the way."""
        assert sale.merchant is not None
        try:
            async with asyncio.timeout(self._call_timeout):
                await self._destination.nodes()
                if confirm and not sale.merchant.verified:
                    wallet = sale.merchant_wallet or (await self._wallets.get()).merchant
                    if not await self._destination.owned_by_merchant(wallet, sale.merchant.hash):
                        return GuardRefused(
                            f"sale {sale.id}: Blink says the merchant invoice is not the "
                            "merchant's; refusing to pay it"
                        )
                    await self._journal.call(Journal.mark_verified, sale.id, sale.merchant.hash)
                    sale = await self._journal.call(Journal.sale, sale.id)
        except RateLimited as exc:
            return Throttled(Action.PAY, exc.retry_after)
        except (BlinkError, TimeoutError) as exc:
            return CallLost(Action.PAY, _describe(exc))
        return sale

    async def _finish(
        self, attempt: int, outcome: AttemptOutcome, exc: BaseException, observation: Observation
    ) -> Observation:
        await self._journal.call(
            Journal.finish_forward_attempt, attempt, outcome, self._clock(), _describe(exc)
        )
        return observation

    async def _ask_status(self, invoice_hash: str) -> Observation:
        try:
            async with asyncio.timeout(self._call_timeout):
                status = await self._api.invoice_status(invoice_hash)
        except (KeyRejected, ScopeDenied) as exc:
            return HardFailure(str(exc))
        except RateLimited as exc:
            return Throttled(Action.ASK_STATUS, exc.retry_after)
        except (BlinkError, TimeoutError) as exc:
            return CallLost(Action.ASK_STATUS, _describe(exc))
        return StatusAnswered(status)

    async def _replace(self, sale: Sale, payout: Payout, wallet_id: str) -> Observation:
        crashpoints.crashpoint(crashpoints.BEFORE_REPLACE)
        try:
            async with asyncio.timeout(self._call_timeout):
                invoice = await create_merchant_invoice(
                    self._api, wallet_id, sale.id, payout.amount_sats, sale.memo
                )
        except (KeyRejected, ScopeDenied) as exc:
            return HardFailure(str(exc))
        except RateLimited as exc:
            return Throttled(Action.REPLACE, exc.retry_after)
        except (BlinkError, TimeoutError) as exc:
            return CallLost(Action.REPLACE, _describe(exc))
        crashpoints.crashpoint(crashpoints.AFTER_REPLACE_CREATED)
        new = invoice_ref(invoice)
        await self._journal.call(
            Journal.replace_merchant_invoice, sale.id, new, self._clock(), payout.role
        )
        crashpoints.crashpoint(crashpoints.AFTER_REPLACE_JOURNALED)
        log.info(
            "sale %s: %s invoice expired unpaid; replaced by %s…",
            sale.id,
            payout.role.value,
            new.hash[:12],
        )
        return Replaced()


_ATTEMPT_OUTCOMES = {
    PaymentStatus.SUCCESS: AttemptOutcome.SUCCESS,
    PaymentStatus.ALREADY_PAID: AttemptOutcome.ALREADY_PAID,
    PaymentStatus.PENDING: AttemptOutcome.PENDING,
    PaymentStatus.FAILURE: AttemptOutcome.FAILURE,
}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Blink did not answer in time"
    return redact(str(exc))
