"""The pure modules do no I/O: neither they nor anything they import from the project uses
asyncio, httpx, websockets, gpiozero, luma, sqlite3, time or random.

The pure modules: the screen's flow (``terminal.flow``), and the money path's rules (the sale's
states, the forward policy, the payout guard, the merchant-facing texts)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import terminal

FORBIDDEN = {"asyncio", "httpx", "websockets", "gpiozero", "luma", "sqlite3", "time", "random"}
ROOT = Path(terminal.__file__).parent.parent


def _module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    file = path.with_suffix(".py")
    return file if file.exists() else None


def _imports(file: Path, package: str) -> set[str]:
    """Every module ``file`` imports, absolute, including ``from x import y`` as x and x.y."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_imports(start: str) -> dict[str, set[str]]:
    """Each project module reachable from ``start``, with the modules it imports."""
    seen: dict[str, set[str]] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        file = _module_file(name)
        if name in seen or file is None:
            continue
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        seen[name] = _imports(file, package)
        todo += [m for m in seen[name] if m.split(".")[0] == "terminal"]
    return seen


def test_the_walk_finds_the_flow_modules_and_what_they_use() -> None:
    reached = project_imports("terminal.flow")
    expected = {"terminal.flow.machine", "terminal.flow.table", "terminal.flow.handlers"}
    assert expected <= set(reached)
    assert "terminal.screens.model" in reached
    assert "logging" in reached["terminal.flow.machine"]  # the walk sees stdlib imports too


PURE = (
    "terminal.flow",
    "terminal.money.cadence",
    "terminal.money.pricing",
    "terminal.money.sale",
    "terminal.money.policy",
    "terminal.money.guard",
    "terminal.money.firstpay",
    "terminal.money.texts",
)


@pytest.mark.parametrize("start", PURE)
def test_the_pure_modules_import_no_io(start: str) -> None:
    offenders = {
        module: sorted(m for m in imported if m.split(".")[0] in FORBIDDEN)
        for module, imported in project_imports(start).items()
    }
    assert {module: bad for module, bad in offenders.items() if bad} == {}


def test_every_money_module_is_either_pure_or_known_to_do_io() -> None:
    """A new module in the money package must be put on one side or the other, on purpose."""
    money = Path(terminal.__file__).parent / "money"
    io_modules = {
        "binding", "crashpoints", "destination", "detection", "forwarder", "journal", "lock",
        "opening", "path", "rates",
        "schema",
        "settling", "wallets", "worker",
    }  # fmt: skip
    found = {f.stem for f in money.glob("*.py") if f.stem != "__init__"}
    pure = {name.rpartition(".")[2] for name in PURE if name.startswith("terminal.money.")}
    assert found == pure | io_modules


def test_the_check_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom asyncio import sleep\nfrom . import sibling\n")
    assert {"time", "asyncio", "pkg.sibling"} <= _imports(sample, "pkg")
