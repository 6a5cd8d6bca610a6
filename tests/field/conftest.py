"""A venv made the way the Ansible role makes it (deploy/ansible/roles/terminal/tasks/install.yml),
once per test session: the project's wheel, then the field lock, hash-checked, from PyPI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.timing import scaled

REPO = Path(__file__).resolve().parents[2]
LOCKS = REPO / "deploy" / "ansible" / "roles" / "terminal" / "files"


def _run(*argv: str | Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=scaled(600),
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"{' '.join(map(str, argv))}\n{done.stdout}\n{done.stderr}"


def make_field_venv(root: Path) -> Path:
    """The role's install steps, one for one: build backend, lock (PYPI=1, no build isolation),
    then the wheel with --no-deps, then pip check. Returns the venv."""
    wheels, venv = root / "wheels", root / "venv"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, REPO)
    (wheel,) = wheels.glob("blink_terminal-*-py3-none-any.whl")
    _run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    _run(pip, "install", "-q", "--require-hashes", "-r", LOCKS / "build-requirements.txt")
    _run(
        pip,
        "install",
        "-q",
        "--require-hashes",
        "--no-build-isolation",
        "-r",
        LOCKS / "field-requirements.txt",
        env={**os.environ, "PYPI": "1"},
    )
    _run(pip, "install", "-q", "--no-deps", "--force-reinstall", wheel)
    _run(venv / "bin" / "python", "-m", "pip", "check")
    return venv


@pytest.fixture(scope="session")
def field_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The field venv (built once per session; needs PyPI, as the role does)."""
    return make_field_venv(tmp_path_factory.mktemp("field"))


def run_in_field_venv(
    venv: Path, argv: list[str | Path], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``argv[0]`` from the field venv's bin/ (the rest as its arguments) in ``workdir``.

    Off a Pi, rpi-lgpio must be told the board (its own documented override) and lgpio makes its
    notification pipes in LG_WD; nothing else differs from a Pi.
    """
    return subprocess.run(
        [venv / "bin" / argv[0], *argv[1:]],
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
        cwd=workdir,
        env={**os.environ, "RPI_LGPIO_REVISION": "902120", "LG_WD": str(workdir)},
    )
