"""The ``blink-terminal`` command."""

from __future__ import annotations

import argparse
import importlib
import sys

from terminal import __version__

# Where each verb is defined. Only the module of the verb asked for is imported, so `run` on a Pi
# never loads the sandbox (aiohttp, graphql-core), the demo or the self-test; --help and an
# unknown verb load them all (argparse then lists every choice).
_VERBS = {
    "run": ("terminal.commands", "add_operator_verbs"),
    "check": ("terminal.commands", "add_operator_verbs"),
    "history": ("terminal.commands", "add_operator_verbs"),
    "pending": ("terminal.commands", "add_operator_verbs"),
    "adopt": ("terminal.commands", "add_operator_verbs"),
    "hash-pin": ("terminal.hash_pin", "add_hash_pin_verb"),
    "selftest": ("terminal.selftest", "add_selftest_verb"),
    "demo": ("terminal.demo", "add_demo_verb"),
    "sandbox": ("terminal.sandbox.cli", "add_sandbox_verbs"),
    "pay": ("terminal.sandbox.cli", "add_sandbox_verbs"),
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: with ``verb``'s module only when it is a known verb, else every verb."""
    parser = argparse.ArgumentParser(prog="blink-terminal", description=__doc__)
    parser.add_argument("--version", action="version", version=f"blink-terminal {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True)
    homes = [_VERBS[verb]] if verb in _VERBS else list(dict.fromkeys(_VERBS.values()))
    for module, adder in homes:
        getattr(importlib.import_module(module), adder)(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args_in = sys.argv[1:] if argv is None else argv
    # The only option before the verb is --version (which exits), so the verb is the first word.
    verb = next((word for word in args_in if not word.startswith("-")), None)
    args = build_parser(verb).parse_args(args_in)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
