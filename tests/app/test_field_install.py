"""A terminal in the field has no sandbox (no aiohttp): the command must still work there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.timing import scaled

# Importing a module whose sys.modules entry is None raises ImportError: the interpreter then
# behaves exactly as if aiohttp were not installed.
WITHOUT_AIOHTTP = "import sys; sys.modules['aiohttp'] = None; from terminal.cli import main; "


def run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_AIOHTTP + code],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
        cwd=cwd,
    )


def test_the_cli_starts_without_the_sandbox(tmp_path: Path) -> None:
    done = run("raise SystemExit(main(['history', '--config', 'missing.toml']))", tmp_path)
    # It got as far as reading the configuration: the sandbox was never needed.
    assert done.returncode == 2, done.stderr
    assert "--config: " in done.stderr
    assert "aiohttp" not in done.stderr


def test_the_sandbox_verb_says_how_to_install_it(tmp_path: Path) -> None:
    done = run("raise SystemExit(main(['sandbox', '--port', '0']))", tmp_path)
    assert done.returncode == 2
    assert "pip install 'blink-terminal[sandbox]'" in done.stderr
    assert "Traceback" not in done.stderr
