"""Invoice QRs on every QR-capable panel, decoded by a real decoder the way a camera sees them."""

from __future__ import annotations

import time

import pytest
import zxingcpp
from PIL import Image

from terminal.sandbox.invoices import make_invoice
from terminal.screens import qr
from terminal.screens.geometry import ALL_GEOMETRIES, OLED_128X64, Geometry, qr_warning
from terminal.screens.model import ShowInvoice, View
from terminal.screens.render import render
from tests.screens.panel import on_panel
from tests.support.qr import as_camera_sees

QR_GEOMETRIES = [g for g in ALL_GEOMETRIES if g.qr_capable]
MEMOS = ["", "Coffee #42", "Corner Cafe: 2 flat whites and a croissant", "x" * 60]
AMOUNTS = [1, 21_000, 999_999]
NOW = time.time()


def invoices() -> list[str]:
    made = [make_invoice(a, m, 900, now=NOW).payment_request for m in MEMOS for a in AMOUNTS]
    lengths = sorted(len(p) for p in made)
    assert lengths[0] >= 250
    assert lengths[-1] <= 360
    return made


INVOICES = invoices()


@pytest.mark.parametrize("geometry", QR_GEOMETRIES, ids=lambda g: f"{g.width}x{g.height}{g.mode}")
def test_every_invoice_decodes_on_every_qr_panel(geometry: Geometry) -> None:
    decoded = 0
    for request in INVOICES:
        view = View(ShowInvoice(request, 21_000, NOW + 900), now=NOW)
        frame = on_panel(render(view, geometry), geometry)
        results = zxingcpp.read_barcodes(as_camera_sees(frame))
        if [r.text for r in results] == [qr.payload(request)]:
            decoded += 1
    assert decoded == len(INVOICES)


@pytest.mark.parametrize("geometry", QR_GEOMETRIES, ids=lambda g: f"{g.width}x{g.height}{g.mode}")
def test_modules_are_crisp_and_large_enough(geometry: Geometry) -> None:
    for request in INVOICES:
        code = qr.layout(request, geometry.width, geometry.height)
        assert code.scale >= 2, "1 px per module is not reliably scannable"
        assert code.quiet >= qr.MIN_QUIET
        assert code.error in ("M", "L")
        side = (code.modules + 2 * code.quiet) * code.scale
        assert code.side == side <= min(geometry.width, geometry.height)


def test_never_inverted() -> None:
    code = qr.layout(INVOICES[0], 128, 128)
    pixels = code.image.load()
    assert pixels is not None
    # The quiet zone is light; the finder pattern's corner module is dark.
    assert pixels[0, 0] == qr.LIGHT
    corner = code.quiet * code.scale
    assert pixels[corner, corner] == qr.DARK


def test_payload_is_upper_case_alphanumeric() -> None:
    text = qr.payload(INVOICES[0])
    assert text.startswith("LIGHTNING:LNBC")
    assert text == text.upper()


def test_level_m_unless_l_buys_bigger_modules() -> None:
    for request in INVOICES:
        for side in (128, 240):
            chosen = qr.layout(request, side, side)
            m = qr._encode(qr.payload(request), "M")
            m_scale = qr._scale_for(qr._modules(m), side)
            if chosen.error == "L":
                assert chosen.scale > m_scale
            else:
                assert chosen.scale == m_scale


def test_too_long_for_the_panel() -> None:
    with pytest.raises(qr.QrDoesNotFit):
        qr.layout(INVOICES[0], 40, 40)


def test_128x64_is_text_first_with_a_warning() -> None:
    assert not OLED_128X64.qr_capable
    warning = qr_warning(OLED_128X64)
    assert warning is not None
    assert "128x128" in warning
    assert all(qr_warning(g) is None for g in QR_GEOMETRIES)
    view = View(ShowInvoice(INVOICES[0], 21_000, NOW + 125), now=NOW)
    frame = on_panel(render(view, OLED_128X64), OLED_128X64)
    assert zxingcpp.read_barcodes(frame.convert("L")) == []


@pytest.mark.parametrize("geometry", QR_GEOMETRIES, ids=lambda g: f"{g.width}x{g.height}{g.mode}")
def test_quiet_zone_is_four_modules_wherever_the_module_size_allows(geometry: Geometry) -> None:
    side = min(geometry.width, geometry.height)
    for request in INVOICES:
        code = qr.layout(request, geometry.width, geometry.height)
        room = (side // code.scale - code.modules) // 2
        assert code.quiet == min(qr.MAX_QUIET, room)
        assert code.quiet >= qr.MIN_QUIET


def test_a_128_panel_trades_the_quiet_zone_for_module_size_and_still_decodes() -> None:
    geometry = QR_GEOMETRIES[0]
    assert (geometry.width, geometry.height) == (128, 128)
    narrow = [r for r in INVOICES if qr.layout(r, 128, 128).quiet < qr.MAX_QUIET]
    # The trade really happens with these invoices: 4 modules would cost the 2 px module.
    assert narrow
    for request in narrow:
        code = qr.layout(request, 128, 128)
        assert code.scale == 2
        assert (code.modules + 2 * qr.MAX_QUIET) * code.scale > 128
        frame = on_panel(
            render(View(ShowInvoice(request, 21, NOW + 900), now=NOW), geometry), geometry
        )
        assert zxingcpp.read_barcodes(as_camera_sees(frame))[0].text == qr.payload(request)


def test_layout_text_encodes_any_text() -> None:
    code = qr.layout_text("BLINK TERMINAL SELF-TEST", 128, 128)
    framed = Image.new("L", (160, 160), 0)
    framed.paste(code.image, (10, 10))
    assert zxingcpp.read_barcodes(as_camera_sees(framed))[0].text == "BLINK TERMINAL SELF-TEST"
