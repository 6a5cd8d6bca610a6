"""The transitions themselves: one function per (state, event) rule of ``table.py``.

Each handler takes the machine's :class:`Context` and the event, changes the context and returns
the effects, in the order the shell must carry them out. A handler that finds the event breaks the
shell's contract raises :class:`IllegalTransition` *before* it changes anything.
"""

from __future__ import annotations

from terminal.errors import IllegalTransition
from terminal.flow.effects import (
    CancelSale,
    Celebrate,
    Effect,
    Forward,
    ShowLinks,
    SignalError,
    UnwatchInvoice,
    WatchInvoice,
)
from terminal.flow.entry import amount_of, delete_digit, format_sats
from terminal.flow.events import (
    Event,
    ForwardDelayed,
    ForwardFailedHard,
    ForwardSucceeded,
    InvoiceCreationFailed,
    InvoiceExpired,
    InvoicesCreated,
    KeyPressed,
    Link,
    LinkChanged,
    PaymentSettled,
    TimerFired,
)
from terminal.flow.state import Context, FlowState, ShownSale, not_ready_screen
from terminal.flow.steps import (
    abandon_pending,
    create_invoices,
    expire_sale,
    go_home,
    reconnect,
    sale_screen,
    show,
    show_entry,
    show_paid,
    shown_sale,
    start_timer,
    stop_timer,
    type_digit_key,
)
from terminal.keys import Key
from terminal.screens.model import Error, Success


def ignore(ctx: Context, event: Event) -> list[Effect]:
    """Nothing to do: a stale timer, a result for a sale not on screen, a key with no use here."""
    return []


# --- keys ------------------------------------------------------------------------------------


def _cancels(ctx: Context, key: Key) -> bool:
    # A 3x4 pad has no CANCEL key: its one function key sends BACK, so BACK with nothing left
    # to delete means CANCEL (hardware/keypad.py relies on this).
    nothing_to_delete = ctx.state is not FlowState.ENTERING or not ctx.digits
    return key is Key.CANCEL or (key is Key.BACK and nothing_to_delete)


def key_not_ready(ctx: Context, event: KeyPressed) -> list[Effect]:
    """Only RECONNECT means anything while no invoice may be shown."""
    return reconnect(ctx) if event.key is Key.RECONNECT else []


def key_idle(ctx: Context, event: KeyPressed) -> list[Effect]:
    """A digit starts an amount."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    if event.key.digit is None:
        return []
    ctx.state = FlowState.ENTERING
    ctx.digits = ""
    return type_digit_key(ctx, event.key.digit)


def key_entering(ctx: Context, event: KeyPressed) -> list[Effect]:
    """Digits type, BACK deletes, CANCEL (or BACK on nothing) goes home, OK asks for invoices."""
    key = event.key
    if key.digit is not None:
        return type_digit_key(ctx, key.digit)
    if _cancels(ctx, key):
        return go_home(ctx)
    if key is Key.BACK:
        ctx.digits = delete_digit(ctx.digits)
        return [show_entry(ctx)]
    if key is Key.RECONNECT:
        return reconnect(ctx)
    amount = amount_of(ctx.digits)
    if amount == 0:
        return [show_entry(ctx, "type an amount first")]
    return create_invoices(ctx, amount)


def key_creating(ctx: Context, event: KeyPressed) -> list[Effect]:
    """CANCEL gives up waiting; the late answer is journalled as cancelled when it comes."""
    if _cancels(ctx, event.key):
        abandon_pending(ctx)
        return go_home(ctx)
    return reconnect(ctx) if event.key is Key.RECONNECT else []


def key_waiting(ctx: Context, event: KeyPressed) -> list[Effect]:
    """CANCEL ends the sale at once (no confirmation: a late payment is still forwarded)."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    if not _cancels(ctx, event.key) or ctx.sale is None:
        return []
    sale_id = ctx.sale.sale_id
    return [CancelSale(sale_id), UnwatchInvoice(sale_id), *go_home(ctx)]


def key_paid(ctx: Context, event: KeyPressed) -> list[Effect]:
    """OK or CANCEL/BACK leaves the paid screen; forwarding carries on in the background."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    return go_home(ctx) if event.key is Key.OK or _cancels(ctx, event.key) else []


def key_message(ctx: Context, event: KeyPressed) -> list[Effect]:
    """Any key dismisses a message; a digit also starts the next amount."""
    if event.key is Key.RECONNECT:
        return reconnect(ctx)
    effects = go_home(ctx)
    if event.key.digit is not None and ctx.state is FlowState.IDLE:
        effects += key_idle(ctx, event)
    return effects


def key_error(ctx: Context, event: KeyPressed) -> list[Effect]:
    """OK retries a sale whose invoices could not be made (if retryable); other keys dismiss."""
    amount = ctx.retry_amount
    if event.key is Key.OK and amount is not None and ctx.pos.detects_payments:
        return create_invoices(ctx, amount)
    return key_message(ctx, event)


# --- links -----------------------------------------------------------------------------------


def _note_link(ctx: Context, event: LinkChanged) -> ShowLinks:
    if event.link is Link.POS:
        ctx.pos, ctx.pos_reason = event.state, event.reason
    else:
        ctx.merchant = event.state
    return ShowLinks(ctx.pos, ctx.merchant)


def link_not_ready(ctx: Context, event: LinkChanged) -> list[Effect]:
    """Ready again when the BlinkPOS link detects payments; otherwise say why not, up to date."""
    effects: list[Effect] = [_note_link(ctx, event)]
    if event.link is Link.MERCHANT:
        return effects
    if ctx.pos.detects_payments:
        return effects + go_home(ctx)
    return [*effects, show(ctx, not_ready_screen(ctx.pos, ctx.pos_reason))]


def link_ready(ctx: Context, event: LinkChanged) -> list[Effect]:
    """Losing detection in IDLE or ENTERING drops the typed amount: no invoice could be shown."""
    effects: list[Effect] = [_note_link(ctx, event)]
    if event.link is Link.POS and not ctx.pos.detects_payments:
        effects += go_home(ctx)
    return effects


def link_creating(ctx: Context, event: LinkChanged) -> list[Effect]:
    """Losing detection while invoices are made abandons them: their QR could not be shown."""
    effects: list[Effect] = [_note_link(ctx, event)]
    if event.link is Link.POS and not ctx.pos.detects_payments:
        abandon_pending(ctx)
        effects += go_home(ctx)
    return effects


def link_waiting(ctx: Context, event: LinkChanged) -> list[Effect]:
    """The sale stays open whatever the link does; only the screen follows (QR, degraded, none)."""
    effects: list[Effect] = [_note_link(ctx, event)]
    if event.link is Link.POS and ctx.sale is not None:
        screen = sale_screen(ctx, ctx.sale)
        if screen != ctx.screen:
            effects.append(show(ctx, screen))
    return effects


def link_elsewhere(ctx: Context, event: LinkChanged) -> list[Effect]:
    """A message screen stays up; the LEDs follow the link."""
    return [_note_link(ctx, event)]


# --- invoices --------------------------------------------------------------------------------


def _check_answer(ctx: Context, request: int, event: Event) -> None:
    if request != ctx.pending and request not in ctx.abandoned:
        raise IllegalTransition(
            ctx.state.name,
            f"{type(event).__name__}(request={request}): never requested or already answered",
        )


def invoices_created(ctx: Context, event: InvoicesCreated) -> list[Effect]:
    """Show the QR for the awaited request; journal a cancelled request's invoices as cancelled."""
    _check_answer(ctx, event.request, event)
    if event.request in ctx.abandoned:
        ctx.abandoned.discard(event.request)
        return [CancelSale(event.sale_id)]
    ctx.pending = None
    if event.amount_sats != ctx.pending_amount:
        ctx.state = FlowState.ERROR
        wrong = f"asked for {ctx.pending_amount} sats, got {event.amount_sats}"
        screen = Error("Wrong invoice", wrong, "Press a key and type the amount again")
        return [CancelSale(event.sale_id), show(ctx, screen), SignalError()]
    sale = ShownSale(
        event.sale_id,
        event.amount_sats,
        event.payment_request,
        event.payment_hash,
        event.expires_at,
    )
    ctx.sale = sale
    ctx.state = FlowState.WAITING
    # Watch before the QR appears, so detection is in place before anyone can pay.
    effects: list[Effect] = [WatchInvoice(sale.sale_id, sale.payment_hash)]
    effects += start_timer(ctx, "expiry", ctx.config.invoice_expiry_seconds)
    effects.append(show(ctx, sale_screen(ctx, sale)))
    return effects


def creation_failed(ctx: Context, event: InvoiceCreationFailed) -> list[Effect]:
    """Say what went wrong and what to do; a cancelled request's failure needs nothing."""
    _check_answer(ctx, event.request, event)
    if event.request in ctx.abandoned:
        ctx.abandoned.discard(event.request)
        return []
    ctx.pending = None
    ctx.state = FlowState.ERROR
    action = event.action
    if event.retryable:
        ctx.retry_amount = ctx.pending_amount
        action = action or "Press OK to try again"
    effects: list[Effect] = [show(ctx, Error(event.title, event.detail, action)), SignalError()]
    return effects + start_timer(ctx, "message", ctx.config.message_seconds)


# --- payments and forwarding -----------------------------------------------------------------


def settled_shown(ctx: Context, event: PaymentSettled) -> list[Effect]:
    """The shown sale was paid (waiting, or just after it expired on screen): PAID.

    Any other sale is forwarded without touching the screen.
    """
    effects: list[Effect] = [Forward(event.sale_id)]
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return effects
    if ctx.state is FlowState.WAITING:  # EXPIRED has already stopped watching it
        effects.append(UnwatchInvoice(sale.sale_id))
    return effects + stop_timer(ctx) + show_paid(ctx, sale)


def settled_elsewhere(ctx: Context, event: PaymentSettled) -> list[Effect]:
    """A late, old or duplicate payment: forward it (the forwarder is idempotent), screen as is."""
    return [Forward(event.sale_id)]


def forwarded(ctx: Context, event: ForwardSucceeded) -> list[Effect]:
    """The shown sale reached the merchant: celebrate. Other sales: nothing visible."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return []
    # Reached from WAITING when the forwarder beat PaymentSettled here: stop watching too.
    effects: list[Effect] = [UnwatchInvoice(sale.sale_id)] if ctx.state is FlowState.WAITING else []
    effects += stop_timer(ctx)
    ctx.state = FlowState.DONE
    effects += [Celebrate(), show(ctx, Success(sale.amount_sats))]
    return effects + start_timer(ctx, "message", ctx.config.done_seconds)


def forward_delayed(ctx: Context, event: ForwardDelayed) -> list[Effect]:
    """Stay PAID and say the money is safe; the forwarder retries."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return []
    detail = (
        f"{format_sats(sale.amount_sats)} sats received. Forwarding to "
        f"{ctx.config.merchant_name} is retrying ({event.reason}): the money is safe."
    )
    return [show(ctx, Error("Paid", detail, "Press OK for the next sale"))]


def forward_failed_paid(ctx: Context, event: ForwardFailedHard) -> list[Effect]:
    """The shown sale cannot be forwarded without an operator: ERROR until a key."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return [SignalError()]
    ctx.state = FlowState.ERROR
    detail = f"{format_sats(sale.amount_sats)} sats received but not forwarded yet"
    return [show(ctx, Error(event.title, detail, event.action)), SignalError()]


def forward_failed_elsewhere(ctx: Context, event: ForwardFailedHard) -> list[Effect]:
    """An older sale needs an operator: signal it, but leave the sale on screen alone."""
    return [SignalError()]


# --- expiry and timers -----------------------------------------------------------------------


def invoice_expired_waiting(ctx: Context, event: InvoiceExpired) -> list[Effect]:
    """Blink says the shown invoice expired: EXPIRED. Other sales' expiries change nothing."""
    sale = shown_sale(ctx, event.sale_id)
    if sale is None:
        return []
    return expire_sale(ctx, sale)


def timer_waiting(ctx: Context, event: TimerFired) -> list[Effect]:
    """The expiry timer ran out (Blink may not have said so yet): EXPIRED."""
    if event.name != ctx.timer or ctx.sale is None:
        return []
    ctx.timer = None
    return expire_sale(ctx, ctx.sale)


def timer_message(ctx: Context, event: TimerFired) -> list[Effect]:
    """A message screen's time is up: back to idle."""
    if event.name != ctx.timer:
        return []
    ctx.timer = None
    return go_home(ctx)
