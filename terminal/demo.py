"""``blink-terminal demo``: a whole sale on the desktop, against a local sandbox, in a minute.

It starts the sandbox on loopback, writes its keys (0600) and a configuration into a demo
folder, and runs the real terminal with a desktop display (a window where there is a screen,
otherwise the panel drawn in this terminal with half-blocks) and the keyboard as keypad.
``p`` makes the sandbox's customer pay the invoice on screen.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
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
  m opens the till menu (today's totals, the last sales, retry forwards, reprint) behind the
  admin PIN below; each forwarded sale's receipt is written into the demo folder's receipts/.
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
    demo.add_argument(
        "--currency",
        default="SAT",
        type=str.upper,
        help="what the cashier types: SAT, or EUR, USD, GBP, CHF, JPY at the sandbox's rates",
    )
    demo.add_argument(
        "--tips",
        action="store_true",
        help="offer tips after the amount, paid to the sandbox's staff_tips account",
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
    from terminal.sandbox.server import TIP_RECIPIENT

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
                currency=args.currency,
                tips_to=TIP_RECIPIENT if args.tips else None,
            ),
            encoding="utf-8",
        )
        # A fresh PIN each run, so none is ever written in the repository; shown on the console
        # only (never logged), as a merchant is told it by whoever provisioned the till.
        pin = "".join(secrets.choice("0123456789") for _ in range(4))
        with config_path.open("a", encoding="utf-8") as extra:
            extra.write(_till_settings(folder, pin))
        config = load_or_explain(config_path)
        if config is None:
            return EXIT_CONFIG
        print(HELP, file=sys.stderr)
        if args.currency != "SAT":
            print(f"amounts in {args.currency}: digits fill from the right", file=sys.stderr)
        if args.tips:
            print(
                f"after Enter pick a tip: 1 none, 2 10 %, 3 15 %, 4 20 %, 5 typed by hand "
                f"(paid to {TIP_RECIPIENT})",
                file=sys.stderr,
            )
        print(f"admin PIN for this demo: {pin} (press m for the till menu)", file=sys.stderr)
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


def _till_settings(folder: Path, pin: str) -> str:
    """[admin] with this run's PIN (its hash in an owner-only file) and a folder for receipts."""
    from terminal.admin_pin import hash_pin

    pin_file = folder / "admin-pin"
    pin_file.unlink(missing_ok=True)
    fd = os.open(pin_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(hash_pin(pin).text() + "\n")
    # A TOML basic string is written like a JSON one.
    return (
        f"\n[admin]\npin_file = {json.dumps(str(pin_file))}\n\n"
        f'[receipts]\nprinter = "folder"\nfolder = {json.dumps(str(folder / "receipts"))}\n'
    )


def _customer_pays(control_url: str) -> None:
    try:
        answer = httpx.post(f"{control_url}/pay", json={"latest": True}, timeout=10.0)
        log.info("demo customer: %s", answer.json().get("status", answer.text))
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("demo customer could not pay: %s", exc)
