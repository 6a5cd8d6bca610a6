"""The transitions themselves: one function per rule of ``table.py``.

Each handler takes the machine's :class:`Context` and the event, may change the context's data,
and returns an :class:`Outcome`: the effects, in the order the shell must carry them out, and the
state to move to (None: stay). The table lists which states each handler may move to; the
machine checks, then moves. A handler that finds the event breaks the shell's contract raises
:class:`IllegalTransition` *before* it changes anything.
"""

from __future__ import annotations

from terminal.errors import IllegalTransition
from terminal.flow.effects import (
    CancelSale,
    Celebrate,
    Effect,
    SignalError,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.entry import amount_of, delete_digit, format_sats, type_digit
from terminal.flow.events import (
    Event,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoicesCreated,
    KeyPressed,
    Link,
    LinkChanged,
    PaymentReceived,
    SaleLapsed,
    TimerFired,
)
from terminal.flow.state import Context, FlowState, Outcome, ShownSale, not_ready_screen
from terminal.flow.steps import (
    abandon_pending,
    check_payment,
    create_invoices,
    go_home,
    limit_message,
    offer_tip,
    reconnect,
    sale_screen,
    show,
    show_entry,
    show_paid,
    shown_sale,
    start_timer,
    stop_timer,
    time_out,
    type_digit_key,
)
from terminal.keys import Key
from terminal.money.pricing import tip_of
from terminal.screens.model import Error, Idle, Success

STAY = Outcome()


def ignore(ctx: Context, event: Event) -> Outcome:
    """Nothing to do: a stale timer, a result for a sale not on screen, a key with no use here."""
    return STAY


# --- keys ------------------------------------------------------------------------------------


def _cancels(ctx: Context, key: Key) -> bool:
    # A 3x4 pad has no CANCEL key: its one function key sends BACK, so BACK with nothing left
    # to delete means CANCEL (hardware/keypad.py relies on this).
    nothing_to_delete = ctx.state is not FlowState.ENTERING or not ctx.digits
    return key is Key.CANCEL or (key is Key.BACK and nothing_to_delete)


def key_not_ready(ctx: Context, event: KeyPressed) -> Outcome:
    """Only RECONNECT means anything while no invoice may be shown."""
    return reconnect(ctx) if event.key is Key.RECONNECT else STAY


def key_idle(ctx: Context, event: KeyPressed) -> Outcome:
    """A digit starts an amount; any key clears a notice."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    noticed, ctx.notice = ctx.notice, ""
    if event.key.digit is None:
        return Outcome([show(ctx, Idle(ctx.config.merchant_name))]) if noticed else STAY
    ctx.digits = ""
    return type_digit_key(ctx, event.key.digit)


def key_entering(ctx: Context, event: KeyPressed) -> Outcome:
    """Digits type, BACK deletes, CANCEL (or BACK on nothing) goes home, OK asks for invoices."""
    key = event.key
    if key.digit is not None:
        return type_digit_key(ctx, key.digit)
    if _cancels(ctx, key):
        return go_home(ctx)
    if key is Key.BACK:
        ctx.digits = delete_digit(ctx.digits)
        return Outcome([show_entry(ctx)])
    if key is Key.RECONNECT:
        return reconnect(ctx)
    if key is not Key.OK:
        return STAY  # MENU: no menu while an amount is typed
    amount = amount_of(ctx.digits)
    if amount == 0:
        return Outcome([show_entry(ctx, "type an amount first")])
    if ctx.config.tips_offered:
        return offer_tip(ctx)
    return create_invoices(ctx, amount)


def key_tipping(ctx: Context, event: KeyPressed) -> Outcome:
    """A number picks a tip (1: none); OK is none; CANCEL goes back to the amount."""
    key = event.key
    amount = amount_of(ctx.digits)
    if key is Key.RECONNECT:
        return reconnect(ctx)
    if key in (Key.CANCEL, Key.BACK):
        return Outcome([show_entry(ctx)], FlowState.ENTERING)
    percents = ctx.config.tip_percents
    if key is Key.OK or key.digit == 1:
        return create_invoices(ctx, amount)
    if key.digit is not None and 2 <= key.digit <= len(percents) + 1:
        return create_invoices(ctx, amount, tip_of(amount, percents[key.digit - 2]))
    if ctx.config.tip_custom and key.digit == len(percents) + 2:
        ctx.tip_digits = ""
        return Outcome([show_entry(ctx, tip=True)], FlowState.TIP_ENTRY)
    return STAY


def key_tip_entry(ctx: Context, event: KeyPressed) -> Outcome:
    """Digits type the tip, BACK deletes, CANCEL (or BACK on nothing) back to the choice."""
    key = event.key
    if key is Key.RECONNECT:
        return reconnect(ctx)
    if key.digit is not None:
        typed = type_digit(ctx.tip_digits, key.digit, ctx.config.max_typed)
        if typed is None:
            return Outcome([show_entry(ctx, limit_message(ctx), tip=True)])
        ctx.tip_digits = typed
        return Outcome([show_entry(ctx, tip=True)])
    if key is Key.BACK and ctx.tip_digits:
        ctx.tip_digits = delete_digit(ctx.tip_digits)
        return Outcome([show_entry(ctx, tip=True)])
    if key in (Key.CANCEL, Key.BACK):
        return offer_tip(ctx)
    if key is Key.OK:
        return create_invoices(ctx, amount_of(ctx.digits), amount_of(ctx.tip_digits))
    return STAY


def key_creating(ctx: Context, event: KeyPressed) -> Outcome:
    """CANCEL gives up waiting; the late answer is journalled as cancelled when it comes."""
    if _cancels(ctx, event.key):
        abandon_pending(ctx)
        return go_home(ctx)
    return reconnect(ctx) if event.key is Key.RECONNECT else STAY


def key_waiting(ctx: Context, event: KeyPressed) -> Outcome:
    """CANCEL ends the sale at once (no confirmation: a late payment is still forwarded)."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    if not _cancels(ctx, event.key) or ctx.sale is None:
        return STAY
    sale_id = ctx.sale.sale_id
    return go_home(ctx).after([CancelSale(sale_id), UnwatchInvoice(sale_id)])


def key_checking(ctx: Context, event: KeyPressed) -> Outcome:
    """CANCEL stops waiting for Blink's answer; a late payment is still forwarded and shown."""
    return key_waiting(ctx, event)


def key_forwarding(ctx: Context, event: KeyPressed) -> Outcome:
    """OK or CANCEL/BACK leaves the paid screen; forwarding carries on in the background."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    return go_home(ctx) if event.key is Key.OK or _cancels(ctx, event.key) else STAY


def key_message(ctx: Context, event: KeyPressed) -> Outcome:
    """Any key dismisses a message; a digit also starts the next amount."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    home = go_home(ctx)
    if event.key.digit is not None and home.to is FlowState.IDLE:
        return key_idle(ctx, event).after(home.effects)
    return home


def key_error(ctx: Context, event: KeyPressed) -> Outcome:
    """OK retries a sale whose invoices could not be made (if retryable); other keys dismiss."""
    amount = ctx.retry_amount
    if event.key is Key.OK and amount is not None and ctx.pos.detects_payments:
        return create_invoices(ctx, amount, ctx.retry_tip)
    return key_message(ctx, event)


# --- links -----------------------------------------------------------------------------------


def note_link(ctx: Context, event: LinkChanged) -> Outcome:
    """Remember the link's state (a message screen stays up whatever the link does)."""
    if event.link is Link.POS:
        ctx.pos, ctx.pos_reason = event.state, event.reason
    else:
        ctx.merchant = event.state
    return STAY


def link_not_ready(ctx: Context, event: LinkChanged) -> Outcome:
    """Ready again when the BlinkPOS link detects payments; otherwise say why not, up to date."""
    note_link(ctx, event)
    if event.link is Link.MERCHANT:
        return STAY
    if ctx.pos.detects_payments:
        return go_home(ctx)
    return Outcome([show(ctx, not_ready_screen(ctx.pos, ctx.pos_reason))])


def link_ready(ctx: Context, event: LinkChanged) -> Outcome:
    """Losing detection in IDLE or ENTERING drops the typed amount: no invoice could be shown."""
    note_link(ctx, event)
    if event.link is Link.POS and not ctx.pos.detects_payments:
        return go_home(ctx)
    return STAY


def link_creating(ctx: Context, event: LinkChanged) -> Outcome:
    """Losing detection while invoices are made abandons them: their QR could not be shown."""
    note_link(ctx, event)
    if event.link is Link.POS and not ctx.pos.detects_payments:
        abandon_pending(ctx)
        return go_home(ctx)
    return STAY


def link_waiting(ctx: Context, event: LinkChanged) -> Outcome:
    """The sale stays open whatever the link does; only the screen follows (QR, degraded, none)."""
    note_link(ctx, event)
    if event.link is Link.POS and ctx.sale is not None:
        screen = sale_screen(ctx, ctx.sale)
        if screen != ctx.screen:
            return Outcome([show(ctx, screen)])
    return STAY


# --- invoices --------------------------------------------------------------------------------


def _check_answer(ctx: Context, request: int, event: Event) -> None:
    if request != ctx.pending and request not in ctx.abandoned:
        raise IllegalTransition(
            ctx.state.name,
            f"{type(event).__name__}(request={request}): never requested or already answered",
        )


def late_invoices(ctx: Context, event: InvoicesCreated) -> Outcome:
    """Invoices for a request the merchant cancelled: journal the sale as cancelled."""
    _check_answer(ctx, event.request, event)
    if event.request != ctx.pending:
        ctx.abandoned.discard(event.request)
        return Outcome([CancelSale(event.sale_id)])
    raise IllegalTransition(ctx.state.name, "InvoicesCreated for a pending request")


def invoices_created(ctx: Context, event: InvoicesCreated) -> Outcome:
    """Show the QR for the awaited request (WAITING); a cancelled request's are journaled so."""
    _check_answer(ctx, event.request, event)
    if event.request in ctx.abandoned:
        return late_invoices(ctx, event)
    ctx.pending = None
    typed = event.amount_sats if event.typed is None else event.typed
    if typed != ctx.pending_amount:
        wrong = f"asked for {ctx.pending_amount}, got {typed}"
        screen = Error("Wrong invoice", wrong, "Press a key and type the amount again")
        return Outcome(
            [CancelSale(event.sale_id), show(ctx, screen), SignalError()], FlowState.ERROR
        )
    sale = ShownSale(
        event.sale_id,
        event.amount_sats,
        event.payment_request,
        event.payment_hash,
        event.made_at + event.expires_in,
        ctx.config.label(ctx.pending_amount + ctx.pending_tip),
    )
    ctx.sale = sale
    # Watch before the QR appears, so detection is in place before anyone can pay.
    effects: list[Effect] = [WatchInvoice(sale.sale_id, sale.payment_hash)]
    effects += start_timer(ctx, "expiry", max(event.expires_in, 1.0))
    effects.append(show(ctx, sale_screen(ctx, sale)))
    return Outcome(effects, FlowState.WAITING)


def late_failure(ctx: Context, event: InvoiceCreationFailed) -> Outcome:
    """A cancelled request's failure needs nothing."""
    _check_answer(ctx, event.request, event)
    if event.request != ctx.pending:
        ctx.abandoned.discard(event.request)
        return STAY
    raise IllegalTransition(ctx.state.name, "InvoiceCreationFailed for a pending request")


def creation_failed(ctx: Context, event: InvoiceCreationFailed) -> Outcome:
    """Say what went wrong and what to do (ERROR); a cancelled request's failure needs nothing."""
    _check_answer(ctx, event.request, event)
    if event.request in ctx.abandoned:
        return late_failure(ctx, event)
    ctx.pending = None
    action = event.action
    if event.retryable:
        ctx.retry_amount, ctx.retry_tip = ctx.pending_amount, ctx.pending_tip
        action = action or "Press OK to try again"
    effects: list[Effect] = [show(ctx, Error(event.title, event.detail, action)), SignalError()]
    effects += start_timer(ctx, "message", ctx.config.message_seconds)
    return Outcome(effects, FlowState.ERROR)


# --- payments and forwarding -----------------------------------------------------------------


_WATCHING = (FlowState.WAITING, FlowState.CHECKING)  # the states that watch the shown sale


def received_shown(ctx: Context, event: PaymentReceived) -> Outcome:
    """The shown sale was paid (waiting, being checked, or just timed out): FORWARDING.

    Any other sale's payment changes nothing on screen (the forwarder has it already).
    """
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return STAY
    effects: list[Effect] = []
    if ctx.state in _WATCHING:  # TIMED_OUT has already stopped watching it
        effects.append(UnwatchInvoice(sale.sale_id))
    return show_paid(ctx, sale).after(effects + stop_timer(ctx))


def forwarded(ctx: Context, event: ForwardSucceeded) -> Outcome:
    """The shown sale reached the merchant: celebrate (DONE). Another sale: a late notice."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return forwarded_elsewhere(ctx, event)
    # Reached from WAITING when the forwarder beat PaymentReceived here: stop watching too.
    effects: list[Effect] = [UnwatchInvoice(sale.sale_id)] if ctx.state in _WATCHING else []
    effects += stop_timer(ctx)
    effects += [Celebrate(), show(ctx, Success(sale.amount_sats))]
    effects += start_timer(ctx, "message", ctx.config.done_seconds)
    return Outcome(effects, FlowState.DONE)


# Where a late payment's notice may also play the success sound: nobody is paying right now.
_QUIET = (FlowState.IDLE, FlowState.NOT_READY, FlowState.DONE, FlowState.TIMED_OUT, FlowState.ERROR)


def forwarded_elsewhere(ctx: Context, event: ForwardSucceeded) -> Outcome:
    """A sale not on screen (paid after CANCEL or expiry, or before a restart) reached the merchant.

    The merchant must learn of it: a notice with the amount on the idle screen (now, or when the
    flow next goes home) and, when nobody is in the middle of paying, the success sound.
    """
    if shown_sale(ctx, event.sale_id) is not None:
        return STAY  # the shown sale's duplicate: its own screen said so already
    ctx.notice = (
        f"Late payment: {format_sats(event.amount_sats)} sats reached {ctx.config.merchant_name}"
    )
    effects: list[Effect] = [Celebrate()] if ctx.state in _QUIET else []
    if ctx.state is FlowState.IDLE:
        effects.append(show(ctx, Idle(ctx.config.merchant_name, ctx.notice)))
    return Outcome(effects)


def forward_delayed(ctx: Context, event: ForwardDelayed) -> Outcome:
    """Stay FORWARDING and say the money is safe; the forwarder retries."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return STAY
    detail = (
        f"{format_sats(sale.amount_sats)} sats received. Forwarding to "
        f"{ctx.config.merchant_name} is retrying ({event.reason}): the money is safe."
    )
    return Outcome([show(ctx, Error("Paid", detail, "Press OK for the next sale"))])


def forward_failed_shown(ctx: Context, event: ForwardFailedHard) -> Outcome:
    """The shown sale cannot be forwarded without an operator: ERROR until a key."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return Outcome([SignalError()])
    detail = f"{format_sats(sale.amount_sats)} sats received but not forwarded yet"
    effects: list[Effect] = [show(ctx, Error(event.title, detail, event.action)), SignalError()]
    return Outcome(effects, FlowState.ERROR)


def forward_failed_elsewhere(ctx: Context, event: ForwardFailedHard) -> Outcome:
    """An older sale needs an operator: signal it, but leave the sale on screen alone."""
    return Outcome([SignalError()])


# --- expiry and timers -----------------------------------------------------------------------


def lapsed_shown(ctx: Context, event: SaleLapsed) -> Outcome:
    """Blink says the shown invoice expired unpaid: TIMED_OUT. Other lapses change nothing."""
    sale = shown_sale(ctx, event.sale_id)
    return STAY if sale is None else time_out(ctx, sale)


def timer_waiting(ctx: Context, event: TimerFired) -> Outcome:
    """The QR's time is up by the terminal's own timer: ask Blink before saying "not paid"."""
    if event.name != ctx.timer or ctx.sale is None:
        return STAY
    ctx.timer = None
    return check_payment(ctx, ctx.sale)


def timer_message(ctx: Context, event: TimerFired) -> Outcome:
    """A message screen's time is up: back to idle."""
    if event.name != ctx.timer:
        return STAY
    ctx.timer = None
    return go_home(ctx)
