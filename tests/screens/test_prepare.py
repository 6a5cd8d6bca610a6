"""Preparing a QR: the display renders the invoice screen ahead, and the real frame reuses it."""

from __future__ import annotations

import pytest

from terminal.sandbox.invoices import make_invoice
from terminal.screens import qr
from terminal.screens.geometry import ALL_GEOMETRIES, Geometry
from terminal.screens.model import ShowInvoice, Status, View
from terminal.screens.render import render
from terminal.shell.screen import ScreenKeeper

NOW = 1_800_000_000.0


def test_preparing_hands_a_view_to_prepare_and_shows_nothing() -> None:
    shown: list[View] = []
    prepared: list[View] = []
    keeper = ScreenKeeper(shown.append, lambda: 100.4, prepare_view=prepared.append)
    keeper.prepare_qr("lnbc1example")
    assert shown == []
    assert keeper.screen is None  # what the merchant sees did not change
    (view,) = prepared
    assert isinstance(view.screen, ShowInvoice)
    assert view.screen.payment_request == "lnbc1example"
    assert view.now == 100.0


def test_preparing_without_a_display_that_prepares_does_nothing() -> None:
    shown: list[View] = []
    ScreenKeeper(shown.append).prepare_qr("lnbc1example")
    assert shown == []


QR_PANELS = [g for g in ALL_GEOMETRIES if g.qr_capable]


@pytest.mark.parametrize("geometry", QR_PANELS, ids=lambda g: f"{g.width}x{g.height}{g.mode}")
def test_the_shown_frame_finds_every_qr_layout_it_needs_prepared(geometry: Geometry) -> None:
    """Any amount, label and countdown: the QR's boxes depend on the panel alone."""
    request = make_invoice(
        2100, f"prepare {geometry.width}x{geometry.height}", 900, now=NOW
    ).payment_request
    prepared = View(ShowInvoice(request, 0, 0.0), Status(), 0.0, 0)
    render(prepared, geometry)
    before = qr.layout.cache_info()
    real = View(ShowInvoice(request, 2100, 900.0, label="3.85 EUR"), Status(), 12.0, 0)
    render(real, geometry)
    after = qr.layout.cache_info()
    assert after.hits > before.hits  # it did ask for layouts (a QR panel)
    assert after.misses == before.misses, "the real frame laid out a QR the preparation missed"
