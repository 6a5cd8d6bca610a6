"""Small steps the transition handlers are made of: screens, timers, going home, creating.

A step that decides where the flow goes returns an :class:`Outcome`; the others return effects.
None of them sets ``ctx.state``: only the machine does, after checking the table.
"""

from __future__ import annotations

from terminal.flow.effects import (
    CancelTimer,
    ConfirmPaid,
    CreateInvoices,
    Effect,
    Reconnect,
    Show,
    StartTimer,
    UnwatchInvoice,
)
from terminal.flow.entry import amount_of, format_sats, type_digit
from terminal.flow.events import Link
from terminal.flow.state import Context, FlowState, Outcome, ShownSale, not_ready_screen
from terminal.links import LinkState
from terminal.screens.model import (
    AmountEntry,
    Checking,
    Creating,
    Expired,
    Idle,
    NotReady,
    Paid,
    Screen,
    ShowInvoice,
    TipChoice,
)


def show(ctx: Context, screen: Screen) -> Show:
    """Record ``screen`` as the current one and return the effect that draws it."""
    ctx.screen = screen
    return Show(screen)


def start_timer(ctx: Context, kind: str, seconds: float) -> list[Effect]:
    """Replace the running timer with a fresh ``kind`` timer of ``seconds``."""
    # A fresh name per timer, so a fire that was already queued when we cancelled it is stale.
    effects = stop_timer(ctx)
    ctx.timer_serial += 1
    ctx.timer = f"{kind}:{ctx.timer_serial}"
    effects.append(StartTimer(ctx.timer, seconds))
    return effects


def stop_timer(ctx: Context) -> list[Effect]:
    """Cancel the running timer, if any."""
    if ctx.timer is None:
        return []
    name, ctx.timer = ctx.timer, None
    return [CancelTimer(name)]


def go_home(ctx: Context) -> Outcome:
    """Forget the screen's sale: IDLE, or NOT_READY when nothing detects payments."""
    effects = stop_timer(ctx)
    ctx.digits = ""
    ctx.sale = None
    ctx.retry_amount = None
    if ctx.pos.detects_payments:
        effects.append(show(ctx, Idle(ctx.config.merchant_name, ctx.notice)))
        return Outcome(effects, FlowState.IDLE)
    effects.append(show(ctx, not_ready_screen(ctx.pos, ctx.pos_reason)))
    return Outcome(effects, FlowState.NOT_READY)


def reconnect(ctx: Context) -> Outcome:
    """Reconnect every configured link, up or not (the flow stays where it is).

    An UP link too: a socket can look alive and deliver nothing, and the merchant who presses
    RECONNECT because a payment does not show must get a fresh connection and a catch-up.
    """
    return Outcome(
        [
            Reconnect(link)
            for link, state in ((Link.POS, ctx.pos), (Link.MERCHANT, ctx.merchant))
            if state is not LinkState.OFF
        ]
    )


def show_entry(ctx: Context, message: str = "", *, tip: bool = False) -> Show:
    """Show the amount (or, ``tip``, the custom tip) being typed, with an optional message."""
    config = ctx.config
    digits = ctx.tip_digits if tip else ctx.digits
    screen = AmountEntry(
        digits, config.unit(), message, config.fraction_digits, "Tip" if tip else ""
    )
    return show(ctx, screen)


def limit_message(ctx: Context) -> str:
    """What the keypad's maximum is, in the unit typed."""
    config = ctx.config
    if config.in_sats:
        return f"maximum {format_sats(config.max_amount_sats)} sats"
    return f"maximum {config.label(config.max_typed)}"


def type_digit_key(ctx: Context, digit: int) -> Outcome:
    """Type ``digit`` into the amount (ENTERING), or refuse it with the maximum."""
    typed = type_digit(ctx.digits, digit, ctx.config.max_typed)
    if typed is None:
        return Outcome([show_entry(ctx, limit_message(ctx))], FlowState.ENTERING)
    ctx.digits = typed
    return Outcome([show_entry(ctx)], FlowState.ENTERING)


def offer_tip(ctx: Context) -> Outcome:
    """The amount is in: offer the tips (TIPPING). The typed digits stay, for going back."""
    config = ctx.config
    amount = amount_of(ctx.digits)
    label = config.label(amount) or f"{format_sats(amount)} sats"
    options = ("none", *(f"{p}%" for p in config.tip_percents))
    if config.tip_custom:
        options = (*options, "other")
    return Outcome([show(ctx, TipChoice(label, options))], FlowState.TIPPING)


def create_invoices(ctx: Context, amount: int, tip: int = 0) -> Outcome:
    """Go to CREATING and ask the shell for the invoices of a new sale (``tip`` on top)."""
    request = ctx.next_request
    ctx.next_request += 1
    ctx.pending, ctx.pending_amount, ctx.pending_tip = request, amount, tip
    ctx.digits = ctx.tip_digits = ""
    ctx.retry_amount = None
    label = ctx.config.label(amount + tip)
    creating = Creating(amount + tip if ctx.config.in_sats else 0, label)
    effects = [*stop_timer(ctx), show(ctx, creating), CreateInvoices(amount, request, tip)]
    return Outcome(effects, FlowState.CREATING)


def abandon_pending(ctx: Context) -> None:
    """Stop waiting for the pending CreateInvoices; its answer is still due."""
    # The answer still comes; it is then journalled as cancelled (see late_invoices).
    if ctx.pending is not None:
        ctx.abandoned.add(ctx.pending)
        ctx.pending = None


def sale_screen(ctx: Context, sale: ShownSale) -> Screen:
    """The QR while payments are detected; otherwise say the sale is kept, without a QR."""
    if ctx.pos.detects_payments:
        degraded = ctx.pos is LinkState.DEGRADED
        return ShowInvoice(
            sale.payment_request, sale.amount_sats, sale.expires_at, degraded, sale.label
        )
    lost = "Connection to Blink lost" + (f" ({ctx.pos_reason})" if ctx.pos_reason else "")
    return NotReady(
        reason=f"{lost}: this sale stays open and its payment will be checked",
        action="Wait for the connection, or press CANCEL",
    )


def shown_sale(ctx: Context, sale_id: str) -> ShownSale | None:
    """The sale whose invoice was put on screen, if it is ``sale_id``; else None."""
    sale = ctx.sale
    return sale if sale is not None and sale.sale_id == sale_id else None


def time_out(ctx: Context, sale: ShownSale) -> Outcome:
    """Blink says the shown invoice expired unpaid: TIMED_OUT ("Expired. Not paid.")."""
    effects: list[Effect] = [*stop_timer(ctx), UnwatchInvoice(sale.sale_id)]
    effects.append(show(ctx, Expired(sale.amount_sats)))
    effects += start_timer(ctx, "message", ctx.config.message_seconds)
    return Outcome(effects, FlowState.TIMED_OUT)


def check_payment(ctx: Context, sale: ShownSale) -> Outcome:
    """The QR's time is up: ask Blink before saying it was not paid (CHECKING; still watched)."""
    effects: list[Effect] = [show(ctx, Checking(sale.amount_sats))]
    effects.append(ConfirmPaid(sale.sale_id, sale.payment_hash))
    return Outcome(effects, FlowState.CHECKING)


def show_paid(ctx: Context, sale: ShownSale) -> Outcome:
    """The shown sale was paid: FORWARDING, "sending to the merchant"."""
    return Outcome([show(ctx, Paid(sale.amount_sats, sale.label))], FlowState.FORWARDING)
