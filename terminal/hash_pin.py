"""``blink-terminal hash-pin``: make the admin PIN's hash for provisioning, never echoing the PIN.

On a terminal the PIN is asked twice without echo (getpass); from a pipe one line is read (for
scripts: ``printf '%s\\n' "$PIN" | blink-terminal hash-pin``). The hash goes to stdout, or with
``--output FILE`` into a new owner-only file; the PIN goes nowhere.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from terminal.admin_pin import PIN_RULE, hash_pin, pin_problem

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_hash_pin_verb(subparsers: Any) -> None:
    """Add ``hash-pin`` to the CLI."""
    verb = subparsers.add_parser(
        "hash-pin",
        help="make the admin PIN's hash for [admin] pin_file (the PIN is never echoed)",
        description=f"Ask for the admin PIN ({PIN_RULE}) and print its salted scrypt hash, "
        "the one line [admin] pin_file holds (or Ansible's terminal_admin_pin_hash, from the "
        "Vault). On a terminal the PIN is asked twice without echo; from a pipe one line is "
        "read.",
    )
    verb.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the hash into FILE (created owner-only, mode 600) instead of stdout",
    )
    verb.set_defaults(handler=cmd_hash_pin)


def read_pin(stream: TextIO) -> str | None:
    """The PIN typed (twice, without echo, on a TTY) or piped; None after saying what is wrong."""
    if stream.isatty():
        pin = getpass.getpass(f"Admin PIN ({PIN_RULE}): ")
        again = getpass.getpass("The same PIN again: ")
        if pin != again:
            print("blink-terminal: the two PINs differ; nothing was written", file=sys.stderr)
            return None
    else:
        pin = stream.readline().rstrip("\r\n")
    problem = pin_problem(pin)
    if problem:
        # The rule, never the PIN: a wrong PIN may be a right one with a typo.
        print(f"blink-terminal: {problem}; nothing was written", file=sys.stderr)
        return None
    return pin


def cmd_hash_pin(args: argparse.Namespace) -> int:
    """``blink-terminal hash-pin``: the hash of a PIN read without echo."""
    pin = read_pin(sys.stdin)
    if pin is None:
        return EXIT_USAGE
    line = hash_pin(pin).text()
    if args.output is None:
        print(line)
        return EXIT_OK
    try:
        # O_EXCL: never overwrite a file somebody else may have made readable, or a symlink.
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        print(f"blink-terminal: {args.output} exists: remove it first", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"blink-terminal: cannot create {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(line + "\n")
    print(f"wrote the admin PIN hash to {args.output} (mode 600)")
    return EXIT_OK
