"""``history`` and ``pending``: what the sale journal says, read-only, for the operator on a unit.

Both read only the ``[terminal]`` table of the configuration (no key is ever opened) and open the
journal read-only, so ``sudo blink-terminal history`` works beside the running service without a
copy of any key and without creating an empty journal in a wrong folder.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from terminal.config import DEFAULT_PATH, load_terminal_settings
from terminal.errors import ConfigError, JournalError
from terminal.money.journal import JOURNAL_FILE, Journal
from terminal.money.sale import Sale, SaleState
from terminal.till import fiat_of, tip_of, totals_of

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
# sysexits.h EX_TEMPFAIL: "try again later". The Ansible role waits on it before a restart.
EXIT_PENDING = 75
POLL_SECONDS = 1.0
FIELDS = ("sale", "created", "amount_sats", "state", "paid", "forwarded")
# --csv adds these, empty until sales carry a fiat amount or a tip, so scripts can rely on them.
FIAT_FIELDS = ("fiat_amount", "currency", "rate", "tip_sats")


def local_time(timestamp: float | None) -> str:
    """``timestamp`` in local time with its UTC offset (``2026-12-04 17:19:06 +01:00``)."""
    if timestamp is None:
        return ""
    moment = datetime.datetime.fromtimestamp(timestamp).astimezone()
    offset = moment.strftime("%z")  # +0100; the colon form (%:z) needs Python 3.12
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def since_timestamp(text: str) -> float:
    """Midnight (local time) of ``today`` or of a ``YYYY-MM-DD`` date, for ``--since``."""
    if text == "today":
        day = datetime.date.today()
    else:
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a date: write today or YYYY-MM-DD"
            ) from None
    return datetime.datetime.combine(day, datetime.time()).astimezone().timestamp()


def count(text: str) -> int:
    """A whole number of zero or more, for ``--limit``."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: write 0 or more")
    return value


def seconds(text: str) -> float:
    """Zero or more seconds, for ``--wait``."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def add_report_verbs(subparsers: Any) -> None:
    """Add ``history`` and ``pending`` to the CLI."""
    history = subparsers.add_parser(
        "history",
        help="recent sales from the journal, with totals (read-only, needs no key)",
        description="The newest sales (newest first) and the totals of every sale since "
        "--since. Times are local, with their UTC offset.",
    )
    history.add_argument("--config", type=Path, default=DEFAULT_PATH)
    history.add_argument(
        "--limit",
        type=count,
        default=20,
        help="how many sales to list (default %(default)s); 0 lists none and prints only the "
        "totals",
    )
    period = history.add_mutually_exclusive_group()
    period.add_argument(
        "--since",
        type=since_timestamp,
        default=None,
        metavar="today|YYYY-MM-DD",
        help="only sales made since that day's local midnight (default: every sale)",
    )
    period.add_argument("--today", action="store_true", help="the same as --since today")
    history.add_argument(
        "--csv",
        action="store_true",
        help="machine-readable rows, no totals; the columns "
        + ",".join(FIAT_FIELDS)
        + " are always there (empty while a sale has no fiat amount or tip)",
    )
    history.set_defaults(handler=cmd_history)

    pending = subparsers.add_parser(
        "pending",
        help="exit 0 when no sale is on screen and no forward is pending, else 75",
        description="Read-only. Exit 0 when the journal holds no sale whose QR may be on "
        "screen (open, its invoice not yet expired) and no sale paid but not yet forwarded; "
        f"otherwise list them and exit {EXIT_PENDING} (EX_TEMPFAIL). A missing journal means "
        "nothing is pending.",
    )
    pending.add_argument("--config", type=Path, default=DEFAULT_PATH)
    pending.add_argument(
        "--wait",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="poll the journal until nothing is pending, for at most this long",
    )
    pending.set_defaults(handler=cmd_pending)


def _journal_file(config_path: Path) -> Path:
    return load_terminal_settings(config_path).state_dir / JOURNAL_FILE


def as_owner_of(path: Path) -> None:
    """Run on as the owner of ``path`` when started as root.

    SQLite creates the ``-wal`` and ``-shm`` files beside a WAL journal even for a read-only
    connection (when the service has closed them). Made by root, they would lock the service
    out of its own journal at its next start; made by the service user, they are harmless.
    """
    if os.geteuid() != 0:
        return
    owner = path.stat()
    if owner.st_uid == 0:
        return
    os.setgroups([])
    os.setgid(owner.st_gid)
    os.setuid(owner.st_uid)
    os.umask(0o077)


def _open(config_path: Path, *, missing_ok: bool) -> Journal | int | None:
    """The journal, read-only; an exit code after saying what is wrong; None if it is missing
    and ``missing_ok``."""
    try:
        path = _journal_file(config_path)
    except ConfigError as exc:
        print(f"blink-terminal: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        exists = path.is_file()
        if exists:
            as_owner_of(path)
    except PermissionError:
        print(
            f"blink-terminal: cannot look into {path.parent} (it belongs to the service): "
            "run the command with sudo",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not exists:
        if missing_ok:
            print(f"no journal at {path}: no sale yet, nothing pending")
            return None
        print(
            f"blink-terminal: no journal at {path}: the terminal has made no sale there yet, "
            f"or terminal.state_dir in {config_path} is not the folder the service uses "
            "(under systemd: /var/lib/blink-terminal)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        return Journal.open_existing(path)
    except JournalError as exc:
        print(f"blink-terminal: {exc}", file=sys.stderr)
        return EXIT_FAILED


def cmd_history(args: argparse.Namespace) -> int:
    """``blink-terminal history``: the newest sales and the totals."""
    journal = _open(args.config, missing_ok=False)
    if not isinstance(journal, Journal):
        return EXIT_CONFIG if journal is None else journal
    try:
        # Every sale, newest first: the totals cover all of them, --limit only the listing.
        sales = journal.recent(sys.maxsize)
    except JournalError as exc:
        print(f"blink-terminal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        journal.close()
    since = since_timestamp("today") if args.today else args.since
    if since is not None:
        sales = [s for s in sales if s.created_at >= since]
    listed = sales[: args.limit]
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow((*FIELDS, *FIAT_FIELDS))
        writer.writerows((*_row(s), *_fiat_cells(s)) for s in listed)
        return EXIT_OK
    rows = [_row(s) for s in listed]
    if rows:
        widths = [max(len(f), *(len(r[i]) for r in rows)) for i, f in enumerate(FIELDS)]
        for row in (FIELDS, *rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(totals(sales))
    return EXIT_OK


def _row(sale: Sale) -> tuple[str, ...]:
    return (
        sale.id,
        local_time(sale.created_at),
        str(sale.amount_sats),
        sale.state.value,
        local_time(sale.received_at),
        local_time(sale.forwarded_at),
    )


def _fiat_cells(sale: Sale) -> tuple[str, ...]:
    money, tip = fiat_of(sale), tip_of(sale)
    fiat = ("", "", "") if money is None else (str(money.amount), money.currency, str(money.rate))
    return (*fiat, str(tip) if tip else "")


def totals(sales: Sequence[Sale]) -> str:
    """One line: how many sales, the sats forwarded, the sats paid but not yet forwarded."""
    sums = totals_of(sales)
    noun = "sale" if sums.sales == 1 else "sales"
    line = (
        f"total: {sums.sales} {noun}, {sums.forwarded_sats} sats forwarded, "
        f"{sums.pending_sats} sats pending (paid, not yet forwarded)"
    )
    extras = [f"{amount} {currency}" for currency, amount in sums.fiat]
    if sums.tip_sats:
        extras.append(f"{sums.tip_sats} sats of tips")
    return line + (f"; {', '.join(extras)}" if extras else "")


def pending_sales(journal: Journal, now: float) -> list[tuple[Sale, str]]:
    """Sales a restart would interrupt, each with why: a QR that may be on screen, or money
    received that is not yet with the merchant."""
    found = [
        (sale, "on screen: invoice open until " + local_time(sale.pos.expires_at))
        for sale in journal.unsettled_sales()
        if sale.state is SaleState.OPEN and sale.pos is not None and sale.pos.expires_at > now
    ]
    found += [(sale, "paid, not yet forwarded") for sale in journal.unforwarded_received()]
    return found


def cmd_pending(args: argparse.Namespace) -> int:
    """``blink-terminal pending``: 0 when a restart would interrupt no sale, else 75."""
    journal = _open(args.config, missing_ok=True)
    if journal is None:
        return EXIT_OK
    if isinstance(journal, int):
        return journal
    deadline = time.monotonic() + args.wait
    try:
        found = pending_sales(journal, time.time())
        if found and args.wait:
            print(f"waiting up to {args.wait:g} s for {len(found)} pending sale(s)", flush=True)
        while found and time.monotonic() < deadline:
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            found = pending_sales(journal, time.time())
    except JournalError as exc:
        print(f"blink-terminal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        journal.close()
    if not found:
        print("nothing pending: no sale on screen, every paid sale forwarded")
        return EXIT_OK
    for sale, why in found:
        print(f"pending  {sale.id}  {sale.amount_sats} sats  {why}")
    waited = f" after waiting {args.wait:g} s" if args.wait else ""
    print(f"{len(found)} pending{waited}: a restart now would interrupt them")
    return EXIT_PENDING
