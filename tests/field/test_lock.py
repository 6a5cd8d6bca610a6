"""The field lock agrees with pyproject.toml: every dependency of blink-terminal[pi] is pinned,
to a version its specifier allows, with hashes; Pillow stays below the release that removes what
luma calls."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "deploy" / "ansible" / "roles" / "terminal" / "files" / "field-requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins() -> dict[str, Version]:
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall(LOCK.read_text())}


def wanted() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["pi"]
    ]


def test_every_field_dependency_is_pinned_to_an_allowed_version() -> None:
    locked = pins()
    for requirement in wanted():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in the lock: run deploy/ansible/update-lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"the lock pins {name} {locked[name]}, pyproject asks {requirement}"
        )


def test_every_pin_carries_hashes() -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 1)[1])
    assert len(entries) == len(pins())
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_pillow_stays_below_the_release_without_getdata() -> None:
    assert pins()["pillow"] < Version("14")
    pillow = next(r for r in wanted() if canonicalize_name(r.name) == "pillow")
    assert not pillow.specifier.contains("14.0")


def test_the_pi_extra_is_what_luma_needs_on_a_pi() -> None:
    # luma.core's own "spi" and "gpio" extras, and gpiozero's lgpio factory.
    assert {"spidev", "rpi-lgpio", "lgpio"} <= set(pins())
