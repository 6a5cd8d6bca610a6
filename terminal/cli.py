"""The ``blink-terminal`` command."""

from __future__ import annotations

import argparse
import sys

from terminal import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every verb."""
    parser = argparse.ArgumentParser(prog="blink-terminal", description=__doc__)
    parser.add_argument("--version", action="version", version=f"blink-terminal {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True)
    from terminal.commands import add_operator_verbs
    from terminal.demo import add_demo_verb
    from terminal.sandbox.cli import add_sandbox_verbs
    from terminal.selftest import add_selftest_verb

    add_operator_verbs(sub)
    add_selftest_verb(sub)
    add_demo_verb(sub)
    add_sandbox_verbs(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
