"""A local Blink: the API the terminal talks to, for the demo and the tests.

See API-NOTES (``/work/shared/blink/API-NOTES.md``) for the behaviour it reproduces. Where the
real Blink behaves in a way the notes do not say, the sandbox follows Blink's core source:

- A payment from another Blink wallet (``lnInvoicePaymentSend``, settled in Blink's ledger)
  does not check the invoice's expiry: it settles an expired invoice, whose status then reads
  PAID. A payment from outside Blink (``/control/pay`` with ``"external": true``) is refused
  once the invoice has expired. A pay request lost in flight that lands late
  (``holdPayment``) can therefore pay an invoice the terminal already saw EXPIRED.
- The socket is graphql-ws 5.16's: see :mod:`terminal.sandbox.ws` for its close codes and
  keep-alive; :mod:`terminal.sandbox.subscriptions` for what each subscription emits.

Modules: ``server`` (lifecycle, accounts, the price ticker), ``http_endpoint`` (``POST
/graphql``), ``ws`` (the socket), ``api`` and ``subscriptions`` (resolvers), ``ledger`` and
``records`` (money), ``prices``, ``faults``, ``stats``, ``control`` and ``control_faults`` (the
JSON control endpoint, with every fault listed), ``rules`` (what the forwarder tests' fake
shares).

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
