"""Wiring drawings and parts tables of the reference builds, generated from hardware/builds.toml.

``python -m hardware.wiring`` writes ``docs/wiring/<build>.svg`` and the parts tables in
``hardware/README.md`` (between ``<!-- parts:<build> -->`` markers); a test regenerates both and
fails if the committed files differ, so the drawings cannot drift from builds.toml.

Drawn with schemdraw (pure Python, its own SVG backend: no graphviz, matplotlib or fonts to
install, so CI renders it with nothing but pip); WireViz draws harnesses well but needs the
graphviz binaries. Every signal runs as a straight wire from its header pin to the part, power
and ground are symbols, so the drawing has no crossings to misread.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.header import ROLES, physical
from hardware.keypad import STANDARD_LABELS

ROOT = Path(__file__).resolve().parent.parent
BUILDS = Path(__file__).with_name("builds.toml")
DRAWINGS = ROOT / "docs" / "wiring"
README = Path(__file__).with_name("README.md")

# Component values, worked out in hardware/README.md ("LEDs" and "Buzzer").
LED_RESISTOR = "270 Ω"
BASE_RESISTOR = "1 kΩ"
TRANSISTOR = "2N2222 (or BC547, S8050)"
FLYBACK = "1N4148"
LED_COLOURS = {"pos_led": "green", "merchant_led": "green", "status_led": "yellow"}
LED_ROLES = {"pos_led": "BlinkPOS link", "merchant_led": "merchant link", "status_led": "sale"}
PANEL_PINS = (("DIN", 10), ("CLK", 11), ("CS", 8))  # SPI0: MOSI, SCLK, CE0


def builds() -> dict[str, dict[str, Any]]:
    """The reference builds, by name, as builds.toml defines them."""
    with BUILDS.open("rb") as f:
        return tomllib.load(f)


@dataclass(frozen=True)
class Signal:
    """One wire: a BCM pin on the header and the part's pin it goes to."""

    bcm: int
    part_pin: str


def display_signals(build: dict[str, Any]) -> list[Signal]:
    """The panel's SPI and control lines."""
    panel = build["display"]
    wires = [Signal(bcm, name) for name, bcm in PANEL_PINS]
    wires += [Signal(panel["gpio_dc"], "DC"), Signal(panel["gpio_rst"], "RST")]
    return wires


def keypad_signals(build: dict[str, Any]) -> list[Signal]:
    """Rows then columns, in the order of the common membrane keypad's connector."""
    pad = build["keypad"]
    rows = [Signal(p, f"R{i}") for i, p in enumerate(pad["row_pins"], 1)]
    return rows + [Signal(p, f"C{i}") for i, p in enumerate(pad["col_pins"], 1)]


def wired_pins(build: dict[str, Any]) -> list[int]:
    """Every BCM pin the build uses, as the drawing shows them."""
    leds = [build["indicators"][k] for k in LED_COLOURS]
    pins = [s.bcm for s in display_signals(build) + keypad_signals(build)]
    return [*pins, *leds, build["indicators"]["buzzer"]]


def _header_label(bcm: int) -> str:
    role = f" {ROLES[bcm]}" if bcm in ROLES else ""
    return f"GPIO{bcm}{role}"


def draw(name: str, build: dict[str, Any]) -> str:
    """The wiring drawing of one build, as SVG text."""
    import schemdraw
    import schemdraw.elements as elm

    schemdraw.use("svg")
    schemdraw.svgconfig.text = "text"  # searchable text, and no font needed to render
    pitch = 0.9
    groups: list[tuple[str, list[Signal | None]]] = [
        # The buzzer's transistor and the buzzer above it need room: two empty slots.
        ("buzzer", [None, None, Signal(build["indicators"]["buzzer"], "buzzer"), None]),
        ("leds", [Signal(build["indicators"][k], k) for k in LED_COLOURS]),
        ("keypad", [*keypad_signals(build)]),
        ("display", [*display_signals(build)]),
    ]
    # Header pins top to bottom, a gap between groups; schemdraw counts slots from the bottom.
    order: list[Signal | None] = []
    for _, signals in groups:
        order += [*signals, None]
    order = order[:-1]
    slots = len(order)
    pins = [
        elm.IcPin(
            name=_header_label(s.bcm),
            pin=str(physical(s.bcm)),
            side="right",
            slot=f"{slots - i}/{slots}",
            anchorname=f"g{s.bcm}",
        )
        for i, s in enumerate(order)
        if s is not None
    ]
    d = schemdraw.Drawing(show=False)
    d.config(fontsize=11, unit=2.0, margin=2.5)  # room for the labels right of the parts
    pi = elm.Ic(pins=pins, pinspacing=pitch, edgepadH=0.6, leadlen=0.7)
    board = build["board"].split(" (")[0]
    d += pi.label(f"{board}\n40-pin header\n(header pin numbers outside)", "top")
    first = next(s for s in order if s is not None)
    x = pi.absanchors[f"g{first.bcm}"][0] + 3.5

    def at(bcm: int) -> tuple[float, float]:
        point = pi.absanchors[f"g{bcm}"]
        return (float(point[0]), float(point[1]))

    _buzzer(d, elm, build, at, x)
    _leds(d, elm, build, at, x)
    _module(d, elm, keypad_title(build), keypad_signals(build), at, x, pitch, power=False)
    _module(d, elm, display_title(build), display_signals(build), at, x, pitch, power=True)
    if build["power"]["driver"] == "pisugar":
        below = at(display_signals(build)[-1].bcm)[1] - 2.4
        d += (
            elm.Label()
            .at((at(10)[0] - 6, below))
            .label(
                "PiSugar 3 battery: sits on the pogo pins under the Pi (5V, GND, and I2C on\n"
                "GPIO2 SDA pin 3 / GPIO3 SCL pin 5, address 0x57): no wires to solder.\n"
                "pisugar-server must listen on 127.0.0.1:8423 only (it has no authentication).",
                halign="left",
            )
        )
    d += (
        elm.Label()
        .at((at(10)[0] - 6, at(first.bcm)[1] + 4.6))
        .label(
            f"{build['title']}: wiring (hardware/builds.toml [{name}])",
            halign="left",
            fontsize=14,
        )
    )
    return str(d.get_imagedata("svg").decode())


def keypad_title(build: dict[str, Any]) -> str:
    """The keypad's label in the drawing: its layout and key labels per row."""
    layout = build["keypad"]["layout"]
    rows = "\n".join(f"R{i}: {' '.join(r)}" for i, r in enumerate(STANDARD_LABELS[layout], 1))
    pins = len(build["keypad"]["row_pins"]) + len(build["keypad"]["col_pins"])
    return f"{layout} membrane keypad\nconnector pins 1-{pins},\nface up, from the left\n{rows}"


def display_title(build: dict[str, Any]) -> str:
    """The panel's label in the drawing."""
    panel = build["display"]
    return f"{panel['driver'].upper()} panel ({panel['interface'].upper()})"


def _module(
    d: Any,
    elm: Any,
    title: str,
    signals: list[Signal],
    at: Any,
    x: float,
    pitch: float,
    *,
    power: bool,
) -> None:
    """A part whose pins line up with its header pins: one straight wire each."""
    n = len(signals)
    pins = [
        elm.IcPin(
            name=s.part_pin,
            pin=str(i) if not power else None,
            side="left",
            slot=f"{n - i + 1}/{n}",
            anchorname=f"p{i}",
        )
        for i, s in enumerate(signals, 1)
    ]
    if power:
        pins += [
            elm.IcPin(name="VCC", side="right", slot=f"{n}/{n}", anchorname="vcc"),
            elm.IcPin(name="GND", side="right", slot=f"1/{n}", anchorname="gnd"),
        ]
    box = elm.Ic(pins=pins, pinspacing=pitch, edgepadH=0.6, leadlen=0.7)
    box = box.anchor("p1").at((x + 3, at(signals[0].bcm)[1]))
    d += box.label(title, "bottom" if power else "right", ofst=0.3)
    for i, s in enumerate(signals, 1):
        d += elm.Wire("-").at(at(s.bcm)).to(box.absanchors[f"p{i}"])
    if power:
        d += elm.Line().at(box.absanchors["vcc"]).right(0.8)
        d += elm.Vdd().label("3V3 (header pin 1)")
        d += elm.Line().at(box.absanchors["gnd"]).right(0.8)
        d += elm.Ground().label("GND (pin 6)", "right")


def _leds(d: Any, elm: Any, build: dict[str, Any], at: Any, x: float) -> None:
    for key, colour in LED_COLOURS.items():
        bcm = build["indicators"][key]
        d += elm.Line().at(at(bcm)).to((x, at(bcm)[1]))
        d += elm.Resistor().right().label(LED_RESISTOR, "top")
        d += elm.LED().right()
        d += elm.Line().right(0.4)
        end = d.here
        d += elm.Ground()
        d += (
            elm.Label()
            .at((end[0] + 0.7, end[1]))
            .label(f"{colour} LED: {LED_ROLES[key]}", halign="left")
        )


def _buzzer(d: Any, elm: Any, build: dict[str, Any], at: Any, x: float) -> None:
    cfg = build["indicators"]
    bcm = cfg["buzzer"]
    kind = "passive piezo (tones)" if cfg["tonal_buzzer"] else "active 5 V buzzer"
    d += elm.Line().at(at(bcm)).to((x, at(bcm)[1]))
    d += elm.Resistor().right().label(BASE_RESISTOR, "top")
    d += elm.Line().right(0.5)
    q = elm.BjtNpn(circle=True).anchor("base").label(TRANSISTOR, "right")
    d += q
    d += elm.Ground().at(q.emitter)
    d += elm.Line().at(q.collector).up(0.6)
    low = d.here
    d += (buzzer := elm.RBox().up().label(f"{kind}\n(+ at the top)", "bottom", ofst=0.3))
    d += elm.Line().up(0.4)
    d += elm.Vdd().label("5V (header pin 2)")
    d += elm.Line().at(low).left(1.6)
    d += elm.Diode().up().toy(buzzer.end).label(f"{FLYBACK}\n(band up)", "top", ofst=0.2)
    d += elm.Line().right().tox(buzzer.end[0])


def parts_table(build: dict[str, Any]) -> str:
    """The build's parts list as a Markdown table."""
    lines = ["| part | qty | notes |", "|---|---|---|"]
    lines += [f"| {p['item']} | {p['qty']} | {p.get('note', '')} |" for p in build["parts"]]
    return "\n".join(lines)


def _marked(text: str, name: str, table: str) -> str:
    start, end = f"<!-- parts:{name} -->", f"<!-- /parts:{name} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table}\n{end}{tail}"


def generated() -> Iterator[tuple[Path, str]]:
    """Every generated file and its content: the drawings, then the README with its tables."""
    readme = README.read_text(encoding="utf-8")
    for name, build in builds().items():
        yield DRAWINGS / f"{name}.svg", draw(name, build)
        readme = _marked(readme, name, parts_table(build))
    yield README, readme


def main() -> int:
    """Write every generated file."""
    for path, text in generated():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
