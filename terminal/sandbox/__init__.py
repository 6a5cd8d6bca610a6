"""A local Blink: the API the terminal talks to, for the demo and the tests.

See API-NOTES (``/work/shared/blink/API-NOTES.md``) for the behaviour it reproduces.

The server needs aiohttp (the ``[sandbox]`` extra), which a terminal in the field does not
install: names are imported on first use, so ``import terminal.sandbox.cli`` stays cheap and
works without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from terminal.sandbox.invoices import MadeInvoice, make_invoice
    from terminal.sandbox.server import Sandbox
    from terminal.sandbox.thread import SandboxThread

__all__ = ["MadeInvoice", "Sandbox", "SandboxThread", "make_invoice"]

_HOMES = {
    "MadeInvoice": "terminal.sandbox.invoices",
    "make_invoice": "terminal.sandbox.invoices",
    "Sandbox": "terminal.sandbox.server",
    "SandboxThread": "terminal.sandbox.thread",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'terminal.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


class SandboxMissing(ImportError):
    """The sandbox's server dependency is not installed."""


def require_server() -> None:
    """Raise SandboxMissing, saying how to install it, when aiohttp is absent."""
    try:
        importlib.import_module("aiohttp")
    except ImportError as exc:
        raise SandboxMissing(
            "the Blink sandbox is not installed on this machine (it is for desktops and tests): "
            "pip install 'blink-terminal[sandbox]'"
        ) from exc
