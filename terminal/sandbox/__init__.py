"""A local Blink: the API the terminal talks to, for the demo and the tests.

See API-NOTES (``/work/shared/blink/API-NOTES.md``) for the behaviour it reproduces.
"""

from __future__ import annotations

from terminal.sandbox.invoices import MadeInvoice, make_invoice
from terminal.sandbox.server import Sandbox
from terminal.sandbox.thread import SandboxThread

__all__ = ["MadeInvoice", "Sandbox", "SandboxThread", "make_invoice"]
