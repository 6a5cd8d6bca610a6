"""The Ansible role renders only configurations the terminal accepts, and the example inventory
and examples/ configure exactly the reference builds of hardware/builds.toml.

Every host of deploy/ansible/inventory.example.yml is rendered with Ansible's own templating
(role defaults, then group and host variables; offline) and read back by the terminal's own
loader and ``check --offline``'s panel rule."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from terminal.admin_pin import hash_pin
from terminal.checks import Report, check_panel
from terminal.config import Config, load_config
from tests.field.conftest import run_in_field_venv
from tests.support.timing import scaled

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / "deploy" / "ansible"
BUILDS = tomllib.loads((REPO / "hardware" / "builds.toml").read_text())


def with_keys(config: Path) -> None:
    """Key files, and the admin PIN's hash, where the configuration names them (beside it)."""
    for name in ("blinkpos.key", "merchant.key"):
        key = config.parent / name
        key.write_text("blink_" + "k" * 48)
        key.chmod(0o600)
    pin_file = config.parent / "admin-pin"
    pin_file.write_text(hash_pin("".join(random.choices("0123456789", k=6)), n=2**10).text())
    pin_file.chmod(0o600)


def render_inventory(inventory: Path, out: Path) -> dict[str, Path]:
    """terminal.toml of every host of ``inventory``, rendered by ansible-playbook into ``out``
    (one folder per host, key files and the admin PIN's hash beside each)."""
    playbook = Path(sys.executable).with_name("ansible-playbook")
    done = subprocess.run(
        [
            playbook,
            "-i",
            inventory,
            ANSIBLE / "tests" / "render_inventory.yml",
            "-e",
            f"render_dir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=scaled(300),
        check=False,
        env={**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    files: dict[str, Path] = {}
    for path in out.glob("*.toml"):
        folder = out / path.stem
        folder.mkdir()
        files[path.stem] = path.rename(folder / "terminal.toml")
        with_keys(files[path.stem])
    return files


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """terminal.toml of every host in the example inventory, rendered by ansible-playbook."""
    return render_inventory(ANSIBLE / "inventory.example.yml", tmp_path_factory.mktemp("rendered"))


def inventory_groups() -> dict[str, list[str]]:
    """Group name -> its hosts, from the example inventory."""
    document = yaml.safe_load((ANSIBLE / "inventory.example.yml").read_text())
    children = document["terminals"]["children"]
    return {name: sorted(group["hosts"]) for name, group in children.items()}


def test_every_host_renders_a_configuration_the_terminal_accepts(
    rendered: dict[str, Path],
) -> None:
    hosts = sorted(h for group in inventory_groups().values() for h in group)
    assert sorted(rendered) == hosts
    for host, path in rendered.items():
        config = load_config(path)  # raises ConfigError, naming the setting, if refused
        report = Report()
        check_panel(config, report)
        assert report.code == 0, host
        assert config.terminal.state_dir == Path("/var/lib/blink-terminal")
        assert config.admin.pin is not None, host  # the menu has its PIN on every unit
        assert not config.receipts.enabled, host


def test_every_rendered_configuration_passes_check_offline_in_the_field_venv(
    rendered: dict[str, Path], field_venv: Path, tmp_path: Path
) -> None:
    # What the role's template task runs (validate:) before it installs the file on a unit.
    for host, path in rendered.items():
        done = run_in_field_venv(
            field_venv, ["blink-terminal", "check", "--offline", "--config", path], tmp_path
        )
        assert done.returncode == 0, f"{host}: {done.stdout}{done.stderr}"
        assert "FAIL" not in done.stdout


def parts(config: Config) -> dict[str, dict[str, object]]:
    """What a reference build fixes, read from a loaded configuration."""
    d, k, i = config.display, config.keypad, config.indicators
    return {
        "display": {
            "driver": d.driver,
            "interface": d.interface,
            "gpio_dc": d.gpio_dc,
            "gpio_rst": d.gpio_rst,
        },
        "keypad": {"layout": k.layout, "row_pins": list(k.row_pins), "col_pins": list(k.col_pins)},
        "indicators": {
            "pos_led": i.pos_led,
            "merchant_led": i.merchant_led,
            "status_led": i.status_led,
            "buzzer": i.buzzer,
            "tonal_buzzer": i.tonal_buzzer,
        },
        "power": {"driver": config.power.driver},
    }


def reference(build: str) -> dict[str, dict[str, object]]:
    spec = BUILDS[build]
    return {
        section: dict(spec[section]) for section in ("display", "keypad", "indicators", "power")
    }


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_the_example_is_the_reference_build(build: str, tmp_path: Path) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text((REPO / BUILDS[build]["example"]).read_text())
    with_keys(config)
    loaded = load_config(config)
    assert parts(loaded) == reference(build)
    assert loaded.keypad.driver == "matrix"
    assert loaded.indicators.driver == "gpio"


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_the_inventory_group_is_the_reference_build(build: str, rendered: dict[str, Path]) -> None:
    hosts = inventory_groups()[BUILDS[build]["inventory_group"]]
    assert hosts
    for host in hosts:
        loaded = load_config(rendered[host])
        assert parts(loaded) == reference(build), host
        assert loaded.gpio.pin_factory == "lgpio"


def test_every_inventory_group_is_a_reference_build() -> None:
    assert set(inventory_groups()) == {spec["inventory_group"] for spec in BUILDS.values()}
