"""``blink-terminal demo``: a whole sale on the desktop, against a local sandbox, in a minute.

It starts the sandbox on loopback, writes its keys (0600) and a configuration into a demo
folder, and runs the real terminal with a desktop display (a window where there is a screen,
otherwise the panel drawn in this terminal with half-blocks) and the keyboard as keypad.
``p`` makes the sandbox's customer pay the invoice on screen.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import httpx

from terminal import logsetup
from terminal.commands import EXIT_CONFIG, load_or_explain, run_terminal
from terminal.sandbox.terminal_config import sandbox_terminal_config

log = logging.getLogger(__name__)

HELP = """\
Blink terminal demo: a sale against a local Blink sandbox.
  type an amount (digits), Enter to make the invoice, then p to pay it as the customer.
  Backspace deletes a digit, Esc or c cancels, r reconnects, Ctrl-C quits.
"""


def add_demo_verb(subparsers: Any) -> None:
    """Add ``demo`` to the CLI."""
    demo = subparsers.add_parser(
        "demo", help="a whole sale on the desktop, against a local sandbox"
    )
    demo.add_argument(
        "--display",
        choices=("auto", "pygame", "terminal", "capture"),
        default="auto",
        help="auto: a window where there is a screen, else the terminal",
    )
    demo.add_argument(
        "--dir", type=Path, default=None, help="demo folder (default: a new temporary one)"
    )
    demo.set_defaults(handler=cmd_demo)


def _pick_display(choice: str) -> str:
    if choice != "auto":
        return choice
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        try:
            import pygame  # noqa: F401
        except ImportError:
            return "terminal"
        return "pygame"
    return "terminal"


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the sandbox and the terminal together until Ctrl-C."""
    from terminal.sandbox import SandboxMissing, SandboxThread, require_server

    try:
        require_server()
    except SandboxMissing as exc:
        print(f"blink-terminal demo: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    folder = args.dir or Path(tempfile.mkdtemp(prefix="blink-terminal-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    display = _pick_display(args.display)
    # The terminal renderer owns stdout: logs go to a file then, so they do not tear the picture.
    log_path = folder / "terminal.log"
    if display == "terminal":
        logsetup.configure("info", stream=log_path.open("a", encoding="utf-8"))
    else:
        logsetup.configure("info")
    with SandboxThread(host="127.0.0.1", port=0, price_interval=30.0) as sandbox:
        keys_dir = folder / "keys"
        keys_dir.mkdir(mode=0o700, exist_ok=True)
        sandbox.write_keys(keys_dir)
        config_path = folder / "terminal.toml"
        config_path.write_text(
            sandbox_terminal_config(
                sandbox.http_url,
                sandbox.ws_url,
                pos_key_file=keys_dir / "blinkpos.key",
                merchant_key_file=keys_dir / "merchant.key",
                display=display,
                name="Demo Café",
                expiry_minutes=5,
                power="simulated",
            ),
            encoding="utf-8",
        )
        config = load_or_explain(config_path)
        if config is None:
            return EXIT_CONFIG
        print(HELP, file=sys.stderr)
        print(
            f"demo folder: {folder} (log: {log_path if display == 'terminal' else 'stderr'})",
            file=sys.stderr,
        )

        control = sandbox.control_url

        def unmapped(char: str) -> None:
            if char.lower() == "p":
                # The customer is another party: pay through the sandbox's control endpoint, off
                # the terminal's loop, as a phone would.
                threading.Thread(target=_customer_pays, args=(control,), daemon=True).start()

        return run_terminal(config, on_unmapped=unmapped)


def _customer_pays(control_url: str) -> None:
    try:
        answer = httpx.post(f"{control_url}/pay", json={"latest": True}, timeout=10.0)
        log.info("demo customer: %s", answer.json().get("status", answer.text))
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("demo customer could not pay: %s", exc)
