"""``blink-terminal adopt``: make a journal found on another device this device's own.

A journal records the device (and BlinkPOS wallet) it belongs to; one found elsewhere (a cloned
SD card, a card moved to a new Pi, a new BlinkPOS key) forwards nothing until an operator adopts
it. Adopting says: the other device will never use this journal again. If it still runs with its
copy, both would forward the same sales: that is the double payment this check exists to stop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from terminal.config import DEFAULT_PATH, load_terminal_settings
from terminal.errors import ConfigError, JournalError
from terminal.money import binding
from terminal.money.journal import JOURNAL_FILE, Journal
from terminal.money.lock import StateLock
from terminal.money.sale import new_terminal_id
from terminal.sales_report import as_owner_of

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def add_adopt_verb(subparsers: Any) -> None:
    """Add ``adopt`` to the CLI."""
    adopt = subparsers.add_parser(
        "adopt",
        help="make a journal from another device (a copied SD card) this device's own",
        description=__doc__,
    )
    adopt.add_argument("--config", type=Path, default=DEFAULT_PATH)
    adopt.add_argument(
        "--yes",
        action="store_true",
        help="confirm that the device the journal came from will never use it again",
    )
    adopt.set_defaults(handler=cmd_adopt)


def cmd_adopt(args: argparse.Namespace) -> int:
    """Bind the journal to this device (and the BlinkPOS wallet the terminal finds next)."""
    try:
        settings = load_terminal_settings(args.config)
    except ConfigError as exc:
        print(f"blink-terminal: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    path = settings.state_dir / JOURNAL_FILE
    if not path.is_file():
        print(f"blink-terminal: no journal at {path}: nothing to adopt", file=sys.stderr)
        return EXIT_CONFIG
    device = binding.this_device(settings.machine_id_file)
    if not args.yes:
        print(
            f"This makes the journal at {path} this device's own. If the device it came from "
            "still runs with a copy of it, both would forward the same sales, and the merchant "
            "could be paid twice. Stop that device for good (or wipe its card) first, then run "
            "again with --yes.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        as_owner_of(path)  # under sudo: become the service user, so no file it needs is root's
        lock = StateLock.acquire(settings.state_dir)  # the service must be stopped
    except JournalError as exc:
        print(f"blink-terminal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        journal = Journal.open(path)
        try:
            journal.set_meta(binding.DEVICE_KEY, device)
            journal.set_meta(binding.WALLET_KEY, "")  # the next run records its BlinkPOS wallet
            # New sales get ids of their own, apart from any the other device may have made.
            journal.set_meta("terminal_id", new_terminal_id())
        finally:
            journal.close()
    except JournalError as exc:
        print(f"blink-terminal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        lock.release()
    print(f"the journal at {path} now belongs to this device; start the terminal again")
    return EXIT_OK
