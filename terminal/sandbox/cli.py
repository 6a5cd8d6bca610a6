"""The ``sandbox`` and ``pay`` verbs of ``blink-terminal``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from terminal.errors import ConfigError

DEFAULT_PORT = 4455


def add_sandbox_verbs(subparsers: Any) -> None:
    """Add ``sandbox`` (run a local Blink) and ``pay`` (be its customer) to the CLI."""
    run = subparsers.add_parser("sandbox", help="run a local Blink simulator on loopback")
    run.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--keys-dir", type=Path, default=None, help="write the API keys here (0600)")
    run.add_argument("--price-interval", type=float, default=30.0, help="seconds between prices")
    run.set_defaults(handler=run_sandbox)

    pay = subparsers.add_parser("pay", help="pay a sandbox invoice as the customer")
    pay.add_argument("--sandbox", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="sandbox URL")
    group = pay.add_mutually_exclusive_group(required=True)
    group.add_argument("--latest", action="store_true", help="the newest pending POS invoice")
    group.add_argument("request", nargs="?", help="a BOLT11 payment request")
    pay.set_defaults(handler=run_pay)


def run_sandbox(args: argparse.Namespace) -> int:
    """Run the sandbox until Ctrl-C or SIGTERM; print where everything is."""
    from terminal.sandbox import SandboxMissing, require_server

    try:
        require_server()
    except SandboxMissing as exc:
        print(f"blink-terminal sandbox: {exc}", file=sys.stderr)
        return 2
    from terminal.sandbox.server import Sandbox, require_loopback

    try:
        require_loopback(args.host)
    except ConfigError as exc:
        print(f"blink-terminal sandbox: {exc}", file=sys.stderr)
        return 2

    async def serve() -> int:
        sandbox = Sandbox(args.host, args.port, price_interval=args.price_interval)
        try:
            await sandbox.start()
        except OSError as exc:
            await sandbox.stop()
            busy = exc.errno == errno.EADDRINUSE
            print(
                f"blink-terminal sandbox: cannot listen on {args.host}:{args.port}: "
                + (
                    "the port is in use (another sandbox?); pick another with --port"
                    if busy
                    else f"{exc.strerror or exc}"
                ),
                file=sys.stderr,
            )
            return 1
        print(f"HTTP     {sandbox.http_url}")
        print(f"WS       {sandbox.ws_url}")
        print(f"control  {sandbox.control_url}")
        for name in sandbox.ledger.accounts:
            btc = sandbox.wallet_id(name)
            print(f"account  {name:<10} BTC wallet {btc}  balance {sandbox.balance(name)} sats")
        if args.keys_dir:
            for name, path in sandbox.write_keys(args.keys_dir).items():
                print(f"key      {name:<22} {path}")
        else:
            print("keys     not written (pass --keys-dir DIR to get them as 0600 files)")
        sys.stdout.flush()
        # SIGTERM (systemd, a test harness) and Ctrl-C stop it cleanly: every socket is closed
        # with 1001 "Going away", as Blink's graphql-ws server does when it shuts down.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await sandbox.stop()
        return 0  # pragma: no cover - the wait above ends only by Ctrl-C

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve())
    return 0


def run_pay(args: argparse.Namespace) -> int:
    """Ask a running sandbox to pay an invoice as the customer; print the status."""
    base = args.sandbox.rstrip("/")
    if base.endswith("/graphql"):
        base = base[: -len("/graphql")]
    body: dict[str, Any] = {"latest": True} if args.latest else {"paymentRequest": args.request}
    request = urllib.request.Request(  # noqa: S310  (http to the loopback sandbox only)
        f"{base}/control/pay",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            result = json.load(answer)
    except urllib.error.HTTPError as exc:
        print(f"blink-terminal pay: {json.load(exc).get('error', exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"blink-terminal pay: no sandbox at {base} ({exc}); start one with "
            "`blink-terminal sandbox`",
            file=sys.stderr,
        )
        return 1
    print(result["status"])
    return 0 if result["status"] in ("SUCCESS", "ALREADY_PAID") else 1
