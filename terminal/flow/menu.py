"""The till menu's transitions: the admin PIN, then today's figures, the last sales and actions.

Opened from IDLE or NOT_READY by the MENU key (``C`` on a 4x4 pad, ``m`` on the desktop) or by
CANCEL/BACK three times in a row (``*`` ``*`` ``*``: every pad has it; the 3x4 pad has no spare
key). PIN asks for the admin PIN; the shell checks it off the loop (:class:`CheckPin`) and
answers :class:`PinChecked`. MENU shows the figures the shell reads from the journal
(:class:`LoadTill` -> :class:`TillLoaded`) and offers "retry forwards now" and "reprint".

While either is open no sale can start and no QR is shown; payments and forward results for
other sales still reach the money path (the flow never forwards), and a late payment's notice
waits on the idle screen. Both close on CANCEL (or BACK, or MENU), and by themselves after
``menu_seconds`` without a key, so a forgotten menu never keeps the counter from taking sales.
"""

from __future__ import annotations

from dataclasses import replace

from terminal.flow import handlers as h
from terminal.flow.effects import Effect
from terminal.flow.entry import format_sats
from terminal.flow.events import ForwardSucceeded, KeyPressed, PaymentReceived, TimerFired
from terminal.flow.menu_data import (
    BalanceRead,
    CheckPin,
    LoadTill,
    MenuActionDone,
    MenuMemory,
    MenuPage,
    PinChecked,
    RefreshBalance,
    ReprintReceipt,
    RetryForwards,
    TillLoaded,
)
from terminal.flow.state import Context, FlowState, Outcome
from terminal.flow.steps import go_home, show, start_timer
from terminal.keys import Key
from terminal.links import LinkState
from terminal.screens.model import PinEntry, TillMenu
from terminal.till import SaleLine

STAY = Outcome()
TAPS_TO_OPEN = 3  # CANCEL/BACK presses in a row on the idle screen that open the menu
PIN_DIGITS = (4, 12)  # as terminal.admin_pin.PIN_PATTERN: shorter is refused before checking
SALES_PER_PAGE = 4
NO_PIN = "No admin PIN is set on this terminal: the operator sets one ([admin] pin_file)"

# --- opening -------------------------------------------------------------------------------


def _asks_for_menu(ctx: Context, key: Key) -> bool:
    """True when ``key`` opens the menu: MENU, or the third CANCEL/BACK in a row."""
    taps = ctx.menu.taps + 1 if key in (Key.CANCEL, Key.BACK) else 0
    opens = key is Key.MENU or taps >= TAPS_TO_OPEN
    ctx.menu = replace(ctx.menu, taps=0 if opens else taps)
    return opens


def key_idle(ctx: Context, event: KeyPressed) -> Outcome:
    """The menu key (or ``*`` three times) asks for the PIN; other keys as on the idle screen."""
    if _asks_for_menu(ctx, event.key):
        return _open_pin(ctx)
    return h.key_idle(ctx, event)


def key_not_ready(ctx: Context, event: KeyPressed) -> Outcome:
    """The menu opens without payment detection too: its figures come from the journal."""
    if _asks_for_menu(ctx, event.key):
        return _open_pin(ctx)
    return h.key_not_ready(ctx, event)


def _open_pin(ctx: Context) -> Outcome:
    # A fresh memory for this visit; the balance is the merchant link's latest news, kept.
    ctx.menu = MenuMemory(last_request=ctx.menu.last_request, balance=ctx.menu.balance)
    message = "" if ctx.config.has_pin else NO_PIN
    effects = start_timer(ctx, "menu", ctx.config.menu_seconds)
    effects.append(show(ctx, PinEntry(0, message, warn=not ctx.config.has_pin)))
    return Outcome(effects, FlowState.PIN)


def close(ctx: Context) -> Outcome:
    """Close the PIN screen or the menu: home (the late-payment notice, if any, shows there)."""
    ctx.menu = MenuMemory(last_request=ctx.menu.last_request, balance=ctx.menu.balance)
    return go_home(ctx)


def _closes(key: Key) -> bool:
    return key in (Key.CANCEL, Key.MENU)


# --- the PIN -------------------------------------------------------------------------------


def key_pin(ctx: Context, event: KeyPressed) -> Outcome:
    """Digits type the PIN (as dots), BACK deletes, OK checks it, CANCEL/MENU close."""
    key, memory = event.key, ctx.menu
    if _closes(key) or (key is Key.BACK and not memory.pin):
        return close(ctx)
    effects = start_timer(ctx, "menu", ctx.config.menu_seconds)  # a key keeps it open
    if not ctx.config.has_pin or memory.checking is not None:
        return Outcome(effects)  # nothing to check against, or waiting for the verdict
    pin = memory.pin
    if key is Key.BACK:
        pin = pin[:-1]
    elif key.digit is not None and len(pin) < PIN_DIGITS[1]:
        pin += key.value
    elif key is Key.OK and len(pin) >= PIN_DIGITS[0]:
        request = memory.last_request + 1
        # The digits leave the flow's memory with the effect: nothing keeps them afterwards.
        ctx.menu = replace(memory, pin="", checking=request, last_request=request, message="")
        effects += [show(ctx, PinEntry(0, "Checking...")), CheckPin(request, pin)]
        return Outcome(effects)
    elif key is Key.OK:
        ctx.menu = replace(memory, message=f"At least {PIN_DIGITS[0]} digits")
        return Outcome([*effects, show(ctx, PinEntry(len(pin), ctx.menu.message, warn=True))])
    ctx.menu = replace(memory, pin=pin, message="")
    return Outcome([*effects, show(ctx, PinEntry(len(pin)))])


def pin_checked(ctx: Context, event: PinChecked) -> Outcome:
    """The right PIN opens the menu; a wrong one says so, and how long the guard waits."""
    if event.request != ctx.menu.checking:
        return STAY  # a verdict for a PIN screen that was closed meanwhile
    ctx.menu = replace(ctx.menu, checking=None)
    if event.accepted:
        return _open_menu(ctx)
    wait = f"Try again in {_seconds(event.retry_in)}" if event.retry_in > 0 else "Try again"
    title = "Wrong PIN" if event.checked else "Too many wrong PINs"
    ctx.menu = replace(ctx.menu, message=f"{title}. {wait}")
    return Outcome([show(ctx, PinEntry(0, ctx.menu.message, warn=True))])


def _seconds(seconds: float) -> str:
    whole = max(1, int(seconds + 0.999))
    return f"{whole} s" if whole < 120 else f"{(whole + 59) // 60} min"


# --- the menu ------------------------------------------------------------------------------


def _open_menu(ctx: Context) -> Outcome:
    ctx.menu = replace(ctx.menu, page=MenuPage.TODAY, offset=0, summary=None, note="")
    effects = start_timer(ctx, "menu", ctx.config.menu_seconds)
    effects += [show(ctx, menu_screen(ctx)), LoadTill()]
    if ctx.merchant is not LinkState.OFF:
        effects.append(RefreshBalance())
    return Outcome(effects, FlowState.MENU)


def key_menu(ctx: Context, event: KeyPressed) -> Outcome:
    """1 today, 2 (or OK there) the last sales page by page, 3 retry forwards, 4 reprint."""
    key = event.key
    if _closes(key) or key is Key.BACK:
        return close(ctx)
    effects = start_timer(ctx, "menu", ctx.config.menu_seconds)
    memory = ctx.menu
    actions: list[Effect] = []
    if key is Key.D1:
        memory = replace(memory, page=MenuPage.TODAY)
    elif key is Key.D2 or (key is Key.OK and memory.page is MenuPage.SALES):
        memory = _next_sales_page(memory)
    elif key is Key.D3:
        memory = replace(memory, page=MenuPage.TODAY, note="Retrying forwards...")
        actions.append(RetryForwards())
    elif key is Key.D4 and ctx.config.has_printer:
        memory = replace(memory, page=MenuPage.TODAY, note="Printing...")
        actions.append(ReprintReceipt())
    else:
        return Outcome(effects)
    ctx.menu = memory
    return Outcome([*effects, show(ctx, menu_screen(ctx)), *actions])


def _next_sales_page(memory: MenuMemory) -> MenuMemory:
    if memory.page is not MenuPage.SALES:
        return replace(memory, page=MenuPage.SALES, offset=0)
    count = len(memory.summary.recent) if memory.summary else 0
    offset = memory.offset + SALES_PER_PAGE
    return replace(memory, offset=offset if offset < count else 0)


def till_loaded(ctx: Context, event: TillLoaded) -> Outcome:
    """The journal's figures arrived: show them."""
    ctx.menu = replace(ctx.menu, summary=event.summary)
    return Outcome([show(ctx, menu_screen(ctx))])


def action_done(ctx: Context, event: MenuActionDone) -> Outcome:
    """Say how the action went, and read the figures again (they may have moved)."""
    ctx.menu = replace(ctx.menu, note=event.message)
    return Outcome([show(ctx, menu_screen(ctx)), LoadTill()])


def note_balance(ctx: Context, event: BalanceRead) -> Outcome:
    """Keep the merchant's balance for the menu (in every state); redraw an open menu."""
    ctx.menu = replace(ctx.menu, balance=event.sats)
    if ctx.state is FlowState.MENU:
        return Outcome([show(ctx, menu_screen(ctx))])
    return STAY


def reload(ctx: Context, event: PaymentReceived) -> Outcome:
    """A sale was paid while the menu is open: read the figures again."""
    return Outcome([LoadTill()])


def forwarded_reload(ctx: Context, event: ForwardSucceeded) -> Outcome:
    """A forward landed while the menu is open: the usual late notice, and fresh figures."""
    return h.forwarded_elsewhere(ctx, event).then([LoadTill()])


def timer_menu(ctx: Context, event: TimerFired) -> Outcome:
    """Nobody touched the PIN screen or the menu for ``menu_seconds``: home."""
    if event.name != ctx.timer:
        return STAY
    ctx.timer = None
    return close(ctx)


# --- what the menu shows -------------------------------------------------------------------


def menu_screen(ctx: Context) -> TillMenu:
    """The open page, from the flow's memory."""
    memory = ctx.menu
    if memory.page is MenuPage.SALES:
        return _sales_page(memory)
    return TillMenu("Today", _today_lines(ctx), "press CANCEL to close")


def _today_lines(ctx: Context) -> tuple[str, ...]:
    memory, lines = ctx.menu, []
    summary = memory.summary
    if summary is None:
        lines.append("Reading the journal...")
    else:
        today = summary.today
        lines.append(f"{today.paid} paid of {today.sales} sales")
        lines.append(f"{format_sats(today.forwarded_sats)} sats forwarded")
        lines += [f"{amount} {currency}" for currency, amount in today.fiat]
        if today.tip_sats:
            lines.append(f"{format_sats(today.tip_sats)} sats of tips")
        flight = f"{format_sats(summary.in_flight_sats)} sats in flight"
        lines.append(flight + (f", {summary.failing} failing" if summary.failing else ""))
    if memory.balance is not None:
        lines.append(f"Balance {format_sats(memory.balance)} sats")
    if memory.note:
        lines.append(memory.note)
    actions = "2 sales  3 retry" + ("  4 print" if ctx.config.has_printer else "")
    return (*lines, actions)


def _sales_page(memory: MenuMemory) -> TillMenu:
    recent = memory.summary.recent if memory.summary else ()
    shown = recent[memory.offset : memory.offset + SALES_PER_PAGE]
    pages = max(1, -(-len(recent) // SALES_PER_PAGE))
    title = f"Last sales {memory.offset // SALES_PER_PAGE + 1}/{pages}"
    lines = tuple(_sale_line(line) for line in shown) or ("No sales yet",)
    return TillMenu(title, lines, "press OK for more, press CANCEL to close")


def _sale_line(line: SaleLine) -> str:
    late = " late" if line.late else ""
    return f"{line.time} {format_sats(line.amount_sats)} {line.word.value}{late}"
