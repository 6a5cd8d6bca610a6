"""A field terminal's `run` imports only what it uses: never the sandbox or the desktop extras.

The real ``blink-terminal run`` runs with a field configuration (the ``dummy`` panel driver, which
draws every frame as a panel driver does; the stdin keypad; no desktop extras) against the
sandbox in the test's own process, through a whole sale. ``python -X importtime`` makes the
interpreter itself list every module the process imported (an attempt that failed included), so
no hook in the terminal can hide one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from terminal.sandbox import Sandbox, SandboxThread
from terminal.sandbox.ledger import Invoice
from tests.support.terminal_process import TerminalProcess, poll_until, write_config

# Desktop extras, the sandbox (aiohttp, graphql-core), the benchmarks and the test tools.
NEVER = (
    "graphql",
    "aiohttp",
    "pygame",
    "luma.emulator",
    "terminal.sandbox",
    "terminal.demo",
    "terminal.selftest",
    "terminal.bench",
    "psutil",
    "pytest",
)
# What a sale cannot do without: if the listing missed these it would prove nothing.
NEEDED = {
    "segno",
    "bolt11",
    "httpx",
    "websockets",
    "sqlite3",
    "luma.core.device",
    "terminal.money.forwarder",
    "terminal.screens.qr",
}
FORWARDED = "received and forwarded to the merchant"


def imported(stderr: str) -> set[str]:
    """The modules named in ``-X importtime`` lines."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name)
    return names


def is_never(module: str) -> bool:
    return any(module == banned or module.startswith(banned + ".") for banned in NEVER)


async def _pay_latest(sandbox: Sandbox) -> tuple[Invoice | None, str]:
    return sandbox.pay_latest()


def test_a_field_run_imports_neither_the_sandbox_nor_desktop_extras(
    tmp_path: Path, sandbox_thread: SandboxThread
) -> None:
    sb = sandbox_thread
    assert sb.sandbox is not None
    sandbox = sb.sandbox
    config = write_config(tmp_path, sb, display="dummy")
    argv = [sys.executable, "-X", "importtime", "-m", "terminal", "run"]
    with TerminalProcess(config, argv=argv) as terminal:
        terminal.wait_notice("READY=1")
        terminal.type("2100\n")
        poll_until(lambda: sb.call(_pay_latest(sandbox))[0] is not None, 30, "the invoice")
        poll_until(lambda: FORWARDED in terminal.stderr, 30, "the forward")
        assert terminal.stop() == 0
        modules = imported(terminal.stderr)
    assert modules >= NEEDED, f"the import listing lacks {sorted(NEEDED - modules)}"
    assert sorted(m for m in modules if is_never(m)) == []


def test_the_check_catches_a_banned_import() -> None:
    # The filter itself: a package and its submodules are banned, a lookalike name is not.
    assert is_never("graphql")
    assert is_never("luma.emulator.device")
    assert is_never("terminal.sandbox.cli")
    assert not is_never("terminal.sandboxes")
    assert not is_never("luma.core.device")
    listing = "import time:       120 |        340 |   graphql.language\nimport time: x"
    assert imported(listing) == {"graphql.language"}
