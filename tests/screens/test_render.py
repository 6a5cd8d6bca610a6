"""Every screen on every panel: golden images, and structural checks that could fail.

Regenerate the goldens after an intended change with ``BLINK_UPDATE_GOLDENS=1 pytest
tests/screens`` and look at the PNGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from terminal.links import LinkState
from terminal.screens.draw import sizes
from terminal.screens.geometry import ALL_GEOMETRIES, Geometry
from terminal.screens.model import (
    AmountEntry,
    Battery,
    Checking,
    Closed,
    Creating,
    Error,
    Expired,
    Idle,
    LowBattery,
    NotReady,
    Paid,
    PinEntry,
    Screen,
    ShowInvoice,
    ShuttingDown,
    Status,
    Success,
    TillMenu,
    View,
)
from terminal.screens.render import SUCCESS_FRAMES, render
from tests.screens.panel import on_panel

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BLINK_UPDATE_GOLDENS") == "1"
# A fixed invoice so the goldens are stable (made once with terminal.sandbox.invoices).
INVOICE = (
    "lnbc210u1p54twgqpp5y3698cd2qedwdt6s3pet2tvu64lkzlk53u3wlfeyt37knad7qqsqsp5573nkvclqn8y4f5e2s"
    "gzs3ns6zg8qdfxusd25u4g9pcq2yhxxm3qdqsgdhkven9v5szxdpjxqzuycqzpg9qyysgqattr408m54vxd6chndsfy7"
    "lv3ld2hzx0x05ug3ymrtj30dfc6u68dz3n4q2jan67tmfepcw5g9v4rucs98j2jk5desht4fzzvpnl9fcpwqv6gd"
)
NOW = 1_767_225_600.0
STATUS = Status(pos=LinkState.UP, merchant=LinkState.DEGRADED, battery=Battery(67, charging=True))

SCREENS: dict[str, Screen] = {
    "idle": Idle("Corner Café"),
    "idle_notice": Idle("Corner Café", "Late payment: 2,100 sats reached Corner Café"),
    "not_ready": NotReady("No connection to Blink", "Check the Wi-Fi"),
    "amount": AmountEntry("21000"),
    "amount_empty": AmountEntry(""),
    "amount_limit": AmountEntry("1000000", message="maximum 1,000,000 sats"),
    "creating": Creating(21_000),
    "invoice": ShowInvoice(INVOICE, 21_000, NOW + 754),
    "invoice_degraded": ShowInvoice(INVOICE, 21_000, NOW + 754, degraded=True),
    "paid": Paid(21_000),
    "success": Success(21_000),
    "checking": Checking(21_000),
    "expired": Expired(21_000),
    "error": Error("Payment failed", "Blink refused the BlinkPOS key", "Replace the key file"),
    "closed": Closed(),
    "low_battery": LowBattery(18),
    "shutting_down": ShuttingDown(
        "Battery nearly empty",
        "Finishing 1 forward to the merchant (1:45 left)",
        waiting=True,
    ),
    "pin": PinEntry(3, "Wrong PIN. Try again in 4 s", warn=True),
    "menu": TillMenu(
        "Today",
        (
            "12 paid of 14 sales",
            "48,300 sats forwarded",
            "2,100 sats in flight, 1 failing",
            "Balance 1,234,567 sats",
            "2 sales  3 retry  4 print",
        ),
        "press CANCEL to close",
    ),
    "menu_sales": TillMenu(
        "Last sales 1/3",
        ("14:05 2,100 forwarded", "13:58 500 pending", "13:40 21,000 forwarded late"),
        "press OK for more, press CANCEL to close",
    ),
}


def gid(g: Geometry) -> str:
    return f"{g.width}x{g.height}{g.mode}"


def frame(name: str, geometry: Geometry, **view: object) -> Image.Image:
    return on_panel(render(View(SCREENS[name], STATUS, now=NOW, **view), geometry), geometry)  # type: ignore[arg-type]


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
@pytest.mark.parametrize("name", SCREENS)
def test_matches_golden(name: str, geometry: Geometry) -> None:
    image = frame(name, geometry, frame=SUCCESS_FRAMES - 1).convert("RGB")
    path = GOLDEN / f"{name}-{gid(geometry)}.png"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        image.save(path, optimize=True)
    assert path.exists(), f"no golden {path.name}: run BLINK_UPDATE_GOLDENS=1 pytest tests/screens"
    golden = Image.open(path).convert("RGB")
    diff = ImageChops.difference(image, golden).getbbox()
    assert diff is None, f"{path.name} differs in {diff}; if intended, regenerate the goldens"


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
@pytest.mark.parametrize("name", SCREENS)
def test_size_mode_and_something_drawn(name: str, geometry: Geometry) -> None:
    image = render(View(SCREENS[name], STATUS, now=NOW), geometry)
    assert image.size == (geometry.width, geometry.height)
    assert image.mode == geometry.mode
    assert max(image.convert("L").tobytes()) > 0, "a blank screen"


def lit_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return image.convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_digits_region_shows_what_was_typed(geometry: Geometry) -> None:
    size = sizes(geometry)
    digits = (0, size.bar + 2, geometry.width, size.bar + 2 + size.large)
    one = render(View(AmountEntry("1"), now=NOW), geometry).crop(digits)
    many = render(View(AmountEntry("888888"), now=NOW), geometry).crop(digits)
    box_one, box_many = lit_box(one), lit_box(many)
    assert box_one is not None
    assert box_many is not None
    # More digits are wider: the big number is really drawn from ``digits``.
    assert (box_many[2] - box_many[0]) > (box_one[2] - box_one[0])


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_success_is_animated(geometry: Geometry) -> None:
    frames = {frame("success", geometry, frame=n).tobytes() for n in range(SUCCESS_FRAMES)}
    assert len(frames) > 1
    assert (
        frame("success", geometry, frame=0).tobytes()
        == frame("success", geometry, frame=SUCCESS_FRAMES).tobytes()
    ), "the animation loops"


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_invoice_counts_down(geometry: Geometry) -> None:
    early = render(View(SCREENS["invoice"], now=NOW), geometry)
    later = render(View(SCREENS["invoice"], now=NOW + 300), geometry)
    assert early.tobytes() != later.tobytes()


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_status_bar_reflects_links(geometry: Geometry) -> None:
    up = render(View(Idle("Shop"), Status(pos=LinkState.UP), now=NOW), geometry)
    down = render(View(Idle("Shop"), Status(pos=LinkState.DOWN), now=NOW), geometry)
    bar = (0, 0, geometry.width, 14)
    assert up.crop(bar).tobytes() != down.crop(bar).tobytes()


def test_render_is_pure() -> None:
    for geometry in ALL_GEOMETRIES:
        view = View(SCREENS["invoice"], STATUS, now=NOW)
        assert render(view, geometry).tobytes() == render(view, geometry).tobytes()


def test_long_texts_stay_on_screen() -> None:
    long = Error("A very long title that cannot fit", "word " * 80, "do this " * 40)
    for geometry in ALL_GEOMETRIES:
        image = render(View(long, now=NOW), geometry)
        assert image.size == (geometry.width, geometry.height)


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_the_pin_screen_draws_one_dot_per_digit_typed(geometry: Geometry) -> None:
    drawn = {render(View(PinEntry(n), now=NOW), geometry).tobytes() for n in range(5)}
    assert len(drawn) == 5


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_a_menu_page_draws_its_lines(geometry: Geometry) -> None:
    empty = render(View(TillMenu("Today", ()), now=NOW), geometry)
    one_line = render(View(TillMenu("Today", ("2 paid of 3 sales",)), now=NOW), geometry)
    assert empty.tobytes() != one_line.tobytes()


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
@pytest.mark.parametrize("battery", [None, Battery(67)], ids=["mains", "battery"])
def test_the_sats_in_flight_show_in_the_bar_beside_links_and_battery(
    geometry: Geometry, battery: Battery | None
) -> None:
    def bar_of(sats: int) -> Image.Image:
        status = Status(LinkState.DEGRADED, LinkState.UP, battery, in_flight_sats=sats)
        height = sizes(geometry).bar
        return render(View(Idle("Shop"), status, now=NOW), geometry).crop(
            (0, 0, geometry.width, height)
        )

    none, some, more = bar_of(0), bar_of(2100), bar_of(2200)
    assert none.tobytes() != some.tobytes(), "nothing drawn for 2,100 sats in flight"
    assert some.tobytes() != more.tobytes(), "the figure itself is not drawn"
    # The link icons and the battery keep their places: the figure goes between them.
    height = sizes(geometry).bar
    icons = (0, 0, 3 * height + 16, height)
    assert none.crop(icons).tobytes() == some.crop(icons).tobytes()
    if battery is not None:
        gauge = (geometry.width - 2 * height, 0, geometry.width, height)
        assert none.crop(gauge).tobytes() == some.crop(gauge).tobytes()


@pytest.mark.parametrize("geometry", ALL_GEOMETRIES, ids=gid)
def test_a_low_battery_is_marked_in_the_status_bar(geometry: Geometry) -> None:
    bar = (0, 0, geometry.width, sizes(geometry).bar)

    def drawn(battery: Battery) -> bytes:
        status = Status(LinkState.UP, LinkState.UP, battery)
        return render(View(Idle("Stall"), status, now=NOW), geometry).crop(bar).tobytes()

    assert drawn(Battery(18, low=True)) != drawn(Battery(18))
