"""Screens: ``render(view, geometry)`` draws one frame. Pure: same view, same pixels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from terminal.flow.entry import amount_of, format_sats
from terminal.money.pricing import format_minor
from terminal.screens import qr
from terminal.screens.draw import (
    canvas,
    centred,
    fit,
    font,
    in_mode,
    line_height,
    paragraph,
    sizes,
    status_bar,
    text_width,
    time_left,
)
from terminal.screens.geometry import Geometry
from terminal.screens.labels import with_labels
from terminal.screens.menu_render import draw_pin_entry, draw_till_menu
from terminal.screens.model import (
    AmountEntry,
    Checking,
    Closed,
    Creating,
    Error,
    Expired,
    Idle,
    KeyTest,
    LowBattery,
    NotReady,
    Paid,
    PinEntry,
    ShowInvoice,
    ShuttingDown,
    Success,
    TestCard,
    TillMenu,
    TipChoice,
    View,
)

# Frames in one loop of the success animation; the display task advances ``view.frame``.
SUCCESS_FRAMES = 8


class _Frame:
    """One frame being drawn: the image, its context, palette, sizes and the body's top."""

    def __init__(self, view: View, geometry: Geometry, *, bar: bool = True) -> None:
        self.view = view
        self.geometry = geometry
        self.image, self.draw, self.colours = canvas(geometry)
        self.sizes = sizes(geometry)
        self.top = 0
        if bar:
            status_bar(self.draw, geometry, view.status, self.sizes.bar, self.colours)
            self.top = self.sizes.bar + 2

    @property
    def width(self) -> int:
        return self.geometry.width

    @property
    def height(self) -> int:
        return self.geometry.height

    def title(self, y: int, text: str, fill: Any) -> int:
        face = fit(self.draw, text, self.width - 4, self.sizes.medium + 4)
        return centred(self.draw, y, text, face, fill, self.width)

    def amount(self, y: int, amount_sats: int, fill: Any, unit: str = "sats") -> int:
        return self.figure(y, format_sats(amount_sats), fill, unit)

    def figure(self, y: int, figure: str, fill: Any, unit: str) -> int:
        """A big amount (already formatted) with its unit beneath, or beside on a short panel."""
        if self.height < 100:
            # A short panel has no room for a unit line: one line, "21,000 sats".
            text = f"{figure} {unit}"
            face = fit(self.draw, text, self.width - 4, self.sizes.large)
            return centred(self.draw, y, text, face, fill, self.width)
        face = fit(self.draw, figure, self.width - 4, self.sizes.large)
        y = centred(self.draw, y, figure, face, fill, self.width)
        return centred(self.draw, y, unit, font(self.sizes.small), self.colours.dim, self.width)

    def text(self, y: int, text: str, fill: Any, size: int | None = None) -> int:
        face = font(size or self.sizes.small)
        return paragraph(self.draw, y, text, face, fill, self.width, bottom=self.height)


def _idle(f: _Frame, screen: Idle) -> None:
    y = f.top + (f.height - f.top) // 6
    face = font(f.sizes.medium)
    y = paragraph(f.draw, y, screen.merchant_name, face, f.colours.text, f.width, bottom=f.height)
    y += line_height(face) // 2
    if screen.notice:
        y = f.text(y, screen.notice, f.colours.ok) + line_height(face) // 4
    f.text(y, f"Type an amount, then {f.geometry.keys.ok}", f.colours.dim)


def _not_ready(f: _Frame, screen: NotReady) -> None:
    y = f.title(f.top + 2, "Not ready", f.colours.warn)
    y = f.text(y + 2, screen.reason, f.colours.text)
    if screen.action:
        f.text(y + 2, with_labels(screen.action, f.geometry.keys), f.colours.dim)


def _amount_entry(f: _Frame, screen: AmountEntry) -> None:
    y = f.top + 2
    if screen.title:
        y = f.title(y, screen.title, f.colours.warn)
    typed = amount_of(screen.digits)
    if screen.fraction_digits:
        y = f.figure(y, format_minor(typed, screen.fraction_digits), f.colours.text, screen.unit)
    else:
        y = f.amount(y, typed, f.colours.text, screen.unit)
    if screen.message:
        y = f.text(y + 1, screen.message, f.colours.warn)
    keys = f.geometry.keys
    # A keypad whose BACK key also cancels (3x4) names what it does right now.
    cancel = "back" if keys.cancel == keys.back and screen.digits else "cancel"
    hint = f"{keys.ok} OK   {keys.cancel} {cancel}"
    face = fit(f.draw, hint, f.width - 2, f.sizes.small)
    bottom = f.height - line_height(face)
    if y <= bottom:
        centred(f.draw, bottom, hint, face, f.colours.dim, f.width)


def _creating(f: _Frame, screen: Creating) -> None:
    if screen.label:  # typed in a currency: the sats are not known until Blink's rate
        figure, _, unit = screen.label.rpartition(" ")
        y = f.figure(f.top + 2, figure, f.colours.text, unit)
    else:
        y = f.amount(f.top + 2, screen.amount_sats, f.colours.text)
    dots = "." * (f.view.frame % 4)
    f.text(y + 2, f"Creating invoice{dots}", f.colours.dim)


def _invoice(f: _Frame, screen: ShowInvoice) -> None:
    if not f.geometry.qr_capable:
        _invoice_text(f, screen)
        return
    left = time_left(screen.expires_at - f.view.now)
    slow = "  slow" if screen.degraded else ""
    caption = f"{format_sats(screen.amount_sats)} sats  {left}{slow}"
    if screen.label:
        caption = f"{screen.label} = {caption}"
    colour = f.colours.warn if screen.degraded else f.colours.text
    top = _captioned_qr(
        f, lambda height: qr.layout(screen.payment_request, f.width, height), caption, colour
    )
    if top is not None:
        _countdown_bar(f, screen, top, colour)


def _captioned_qr(
    f: _Frame, code_for: Callable[[int], qr.QrLayout], caption: str, colour: Any
) -> int | None:
    """Paste the largest QR; None if a caption fits above it, else the QR's top (no caption)."""
    full = code_for(f.height)
    # A caption only when it costs no module size: the QR's scannability comes first. Try the
    # panel's usual caption strip, then a tight one, before giving up the text.
    captioned: int | None = None
    for strip in (line_height(font(f.sizes.small)) + 1, _TIGHT_CAPTION):
        code = code_for(f.height - strip)
        if code.scale >= full.scale:
            y = f.height - code.side
            face = fit(f.draw, caption, f.width - 2, min(f.sizes.small, y - 1), smallest=7)
            centred(f.draw, max(0, (y - line_height(face)) // 2), caption, face, colour, f.width)
            break
    else:
        code = full
        y = captioned = (f.height - code.side) // 2
    f.image.paste(in_mode(code.image, f.geometry.mode), ((f.width - code.side) // 2, y))
    return captioned


# The smallest caption strip worth drawing: 7 px text and a pixel of air.
_TIGHT_CAPTION = 9


def _countdown_bar(f: _Frame, screen: ShowInvoice, qr_top: int, colour: Any) -> None:
    """A thin time-left bar above the QR, for panels with no room for text."""
    if qr_top < 2:
        return
    left = max(0.0, screen.expires_at - f.view.now)
    share = min(1.0, left / _FULL_BAR_SECONDS)
    f.draw.rectangle((0, 0, int((f.width - 1) * share), qr_top - 2), fill=colour)


# The countdown bar is full at 15 minutes, the default invoice expiry.
_FULL_BAR_SECONDS = 900.0


def _invoice_text(f: _Frame, screen: ShowInvoice) -> None:
    y = f.amount(f.top, screen.amount_sats, f.colours.text)
    y = f.text(y, "scan not supported on this panel", f.colours.warn)
    left = time_left(screen.expires_at - f.view.now)
    f.text(y, f"{left} left" + ("  (slow check)" if screen.degraded else ""), f.colours.dim)


def _paid(f: _Frame, screen: Paid) -> None:
    y = f.title(f.top + 2, "Paid", f.colours.ok)
    y = f.amount(y, screen.amount_sats, f.colours.text)
    if screen.label:
        y = f.text(y, screen.label, f.colours.dim)
    f.text(y + 2, "Sending to merchant...", f.colours.dim)


def _tip_choice(f: _Frame, screen: TipChoice) -> None:
    y = f.title(f.top + 2, "Tip?", f.colours.warn)
    y = f.text(y, screen.amount_label, f.colours.text)
    choices = "   ".join(f"{n} {option}" for n, option in enumerate(screen.options, start=1))
    y = f.text(y + 2, choices, f.colours.text)
    f.text(y + 1, f"{f.geometry.keys.cancel} back", f.colours.dim)


def _success(f: _Frame, screen: Success) -> None:
    step = f.view.frame % SUCCESS_FRAMES
    size = min(f.width, f.height - f.top) // 2
    cx = f.width // 2
    cy = f.top + size // 2 + 2
    grow = min(step + 1, SUCCESS_FRAMES // 2) / (SUCCESS_FRAMES // 2)
    r = max(2, int(size / 2 * grow))
    f.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=f.colours.ok, width=max(1, r // 8))
    if step >= SUCCESS_FRAMES // 2 - 1:
        w = max(2, size // 12)
        tick = [(cx - r // 2, cy), (cx - r // 8, cy + r // 3), (cx + r // 2, cy - r // 3)]
        f.draw.line(tick, fill=f.colours.ok, width=w)
    y = cy + r + 2
    paid = f"Paid {format_sats(screen.amount_sats)} sats"
    face = fit(f.draw, paid, f.width - 4, f.sizes.medium)
    y = centred(f.draw, y, paid, face, f.colours.text, f.width)
    if y + line_height(font(f.sizes.small)) <= f.height:
        f.text(y, "Thank you!", f.colours.dim)


def _checking(f: _Frame, screen: Checking) -> None:
    y = f.title(f.top + 2, "Checking", f.colours.warn)
    y = f.amount(y, screen.amount_sats, f.colours.dim)
    y = f.text(y + 2, "Asking Blink whether it was paid...", f.colours.text)
    f.text(y + 1, f"{f.geometry.keys.cancel} cancel", f.colours.dim)


def _expired(f: _Frame, screen: Expired) -> None:
    y = f.title(f.top + 2, "Expired", f.colours.warn)
    y = f.amount(y, screen.amount_sats, f.colours.dim)
    f.text(y + 2, "Not paid. Type a new amount.", f.colours.text)


def _error(f: _Frame, screen: Error) -> None:
    y = f.title(f.top + 2, screen.title, f.colours.bad)
    if screen.detail:
        y = f.text(y + 1, screen.detail, f.colours.text)
    if screen.action:
        f.text(y + 1, with_labels(screen.action, f.geometry.keys), f.colours.warn)


def _closed(f: _Frame, screen: Closed) -> None:
    face = font(f.sizes.medium)
    paragraph(f.draw, f.height // 3, screen.message, face, f.colours.dim, f.width, bottom=f.height)


def _low_battery(f: _Frame, screen: LowBattery) -> None:
    y = f.title(f.top + 2, "Battery low", f.colours.warn)
    y = f.title(y, f"{screen.percent}%", f.colours.bad)
    f.text(y + 2, "Charge soon. Sales go on until it is nearly empty.", f.colours.text)


def _shutting_down(f: _Frame, screen: ShuttingDown) -> None:
    y = f.title(f.top + 2, "Shutting down", f.colours.warn)
    y = f.text(y + 1, screen.reason, f.colours.text)
    if screen.detail:
        f.text(y + 2, screen.detail, f.colours.warn if screen.waiting else f.colours.dim)


def _test_card(f: _Frame, screen: TestCard) -> None:
    if not f.geometry.qr_capable:
        y = f.title(f.top + 2, screen.caption, f.colours.text)
        f.text(y + 2, screen.detail, f.colours.dim)
        return
    _captioned_qr(
        f,
        lambda height: qr.layout_text(screen.qr_text, f.width, height),
        screen.caption,
        f.colours.text,
    )


def _key_test(f: _Frame, screen: KeyTest) -> None:
    last = f"pressed {screen.last}" if screen.last else "Press each key"
    face = fit(f.draw, last, f.width - 4, f.sizes.medium)
    y = centred(f.draw, 0, last, face, f.colours.ok if screen.last else f.colours.text, f.width)
    n_rows = len(screen.rows)
    n_cols = max((len(r) for r in screen.rows), default=1)
    cell_w = f.width // n_cols
    cell_h = max(1, (f.height - y - 1) // max(1, n_rows))
    for r, row in enumerate(screen.rows):
        for c, label in enumerate(row):
            box = (c * cell_w + 1, y + r * cell_h, (c + 1) * cell_w - 2, y + (r + 1) * cell_h - 2)
            pressed = label in screen.pressed
            f.draw.rectangle(box, fill=f.colours.ok if pressed else None, outline=f.colours.dim)
            face = fit(f.draw, label, cell_w - 4, cell_h - 2, smallest=6)
            tx = box[0] + (cell_w - 3 - text_width(f.draw, label, face)) / 2
            ink = f.colours.background if pressed else f.colours.text
            f.draw.text((tx, box[1]), label, font=face, fill=ink)


_SCREENS: dict[type[Any], tuple[Callable[[_Frame, Any], None], bool]] = {
    Idle: (_idle, True),
    NotReady: (_not_ready, True),
    AmountEntry: (_amount_entry, True),
    Creating: (_creating, True),
    TipChoice: (_tip_choice, True),
    # Every pixel row may go to the QR (or, on a 128x64 panel, to the amount and time left).
    ShowInvoice: (_invoice, False),
    Paid: (_paid, True),
    Success: (_success, True),
    Checking: (_checking, True),
    Expired: (_expired, True),
    Error: (_error, True),
    Closed: (_closed, False),
    LowBattery: (_low_battery, True),
    ShuttingDown: (_shutting_down, True),
    TestCard: (_test_card, False),
    KeyTest: (_key_test, False),
    PinEntry: (draw_pin_entry, True),
    TillMenu: (draw_till_menu, True),
}


def render(view: View, geometry: Geometry) -> Image.Image:
    """The frame for ``view`` on a panel of ``geometry``, in the panel's mode."""
    drawer, bar = _SCREENS[type(view.screen)]
    frame = _Frame(view, geometry, bar=bar)
    drawer(frame, view.screen)
    return frame.image
