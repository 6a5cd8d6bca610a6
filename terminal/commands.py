"""The operator's verbs: ``run`` and ``check`` (``history`` and ``pending``: sales_report).

Exit codes (documented in the README): 0 fine; 1 the terminal stopped on an error; 2 the
configuration is invalid; 3 a key is rejected or lacks a scope; 4 Blink cannot be reached;
5 the hardware cannot be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from terminal import logsetup, stop_screen
from terminal.config import DEFAULT_PATH, Config, load_config
from terminal.errors import ConfigError, HardwareError, JournalError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_KEY = 3
EXIT_UNREACHABLE = 4
EXIT_HARDWARE = 5


def add_operator_verbs(subparsers: Any) -> None:
    """Add ``run``, ``check``, ``history``, ``pending`` and ``adopt`` to the CLI."""
    run = subparsers.add_parser("run", help="run the terminal")
    run.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, help="terminal.toml (default: %(default)s)"
    )
    run.set_defaults(handler=cmd_run)

    check = subparsers.add_parser(
        "check", help="check the configuration, keys, Blink and the panel"
    )
    check.add_argument("--config", type=Path, default=DEFAULT_PATH)
    check.add_argument("--offline", action="store_true", help="skip the checks that need Blink")
    check.set_defaults(handler=cmd_check)

    from terminal.adopt import add_adopt_verb
    from terminal.sales_report import add_report_verbs

    add_report_verbs(subparsers)
    add_adopt_verb(subparsers)


def load_or_explain(path: Path) -> Config | None:
    """The configuration, or None after printing what is wrong with it."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"blink-terminal: configuration error: {exc}", file=sys.stderr)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    """``blink-terminal run``: the terminal itself."""
    logsetup.configure("info")
    config = load_or_explain(args.config)
    if config is None:
        stop_screen.after_config_error(args.config)  # the panel says why (no restart follows)
        return EXIT_CONFIG
    logsetup.configure(config.terminal.log_level)
    return run_terminal(config)


def run_terminal(config: Config, **peripheral_options: Any) -> int:
    """Open the hardware and run the terminal until it is stopped."""
    from terminal.shell.peripherals import Peripherals
    from terminal.shell.runtime import Terminal

    try:
        peripherals = Peripherals.from_config(config, **peripheral_options)
    except HardwareError as exc:
        log.error("%s", exc)
        stop_screen.after_hardware_error(config, exc)  # the panel says why (no restart follows)
        return EXIT_HARDWARE

    async def main() -> int:
        try:
            terminal = Terminal(config, peripherals)
        except JournalError as exc:
            log.error("%s", exc)
            peripherals.close()
            return EXIT_FAILED
        return await terminal.run()

    return asyncio.run(main())


def cmd_check(args: argparse.Namespace) -> int:
    """``blink-terminal check``: everything an operator can verify before going live."""
    from terminal.checks import run_checks

    logsetup.configure("warning")
    config = load_or_explain(args.config)
    if config is None:
        return EXIT_CONFIG
    return asyncio.run(run_checks(config, offline=args.offline))
