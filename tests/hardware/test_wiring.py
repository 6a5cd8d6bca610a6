"""The wiring drawings and parts tables come from hardware/builds.toml and stay in step with it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from hardware.header import physical
from hardware.wiring import README, builds, draw, generated, parts_table

BUILDS = builds()


def configured_pins(build: dict[str, Any]) -> set[int]:
    """Every BCM pin a build's config sections name, read straight from builds.toml."""
    display, pad, lights = build["display"], build["keypad"], build["indicators"]
    leds = [lights[k] for k in ("pos_led", "merchant_led", "status_led", "buzzer")]
    return {display["gpio_dc"], display["gpio_rst"], *pad["row_pins"], *pad["col_pins"], *leds}


@pytest.mark.parametrize("name", BUILDS)
def test_each_drawing_renders_and_names_every_configured_pin(name: str, tmp_path: Path) -> None:
    build = BUILDS[name]
    target = tmp_path / f"{name}.svg"
    target.write_text(draw(name, build), encoding="utf-8")
    root = ET.parse(target).getroot()  # well-formed SVG
    assert root.tag.endswith("svg")
    words = {w for node in root.iter() for w in "".join(node.itertext()).split()}
    for pin in configured_pins(build):
        assert f"GPIO{pin}" in words, f"GPIO{pin} missing from the {name} drawing"
        assert str(physical(pin)) in words, f"header pin of GPIO{pin} missing"
    assert build["display"]["driver"].upper() in words
    assert build["keypad"]["layout"] in words


def test_the_committed_drawings_and_tables_are_what_the_source_makes() -> None:
    for path, text in generated():
        assert path.exists(), f"{path} missing: run python -m hardware.wiring"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date with hardware/builds.toml: run python -m hardware.wiring"
        )


@pytest.mark.parametrize("name", BUILDS)
def test_each_parts_list_names_the_configured_parts(name: str) -> None:
    build = BUILDS[name]
    items = " ".join(p["item"] for p in build["parts"]).lower()
    assert build["display"]["driver"] in items
    assert f"{build['keypad']['layout']} membrane keypad" in items
    assert ("passive buzzer" if build["indicators"]["tonal_buzzer"] else "active buzzer") in items
    assert ("pisugar" in items) == (build["power"]["driver"] == "pisugar")
    for needed in ("raspberry pi", "microsd", "jumper wires", "case", "resistor", "diode"):
        assert needed in items, f"the {name} parts list has no {needed}"
    assert parts_table(build) in README.read_text(encoding="utf-8")


def test_the_readme_names_each_builds_panel() -> None:
    readme = README.read_text(encoding="utf-8")
    for name, build in BUILDS.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {name} |"))
        assert build["display"]["driver"].upper() in row
        assert f"{build['keypad']['layout']} membrane" in row
