"""A journal belongs to one device and one BlinkPOS wallet, so a cloned SD card cannot pay twice.

SD-card images get cloned: two units from one image each hold the same journal, and each would
forward (and replace) the same received sales. So the journal records the device it belongs to
(a hash of the machine id: the id itself stays private) and the BlinkPOS wallet its sales were
received on. Found on another device, or configured with another BlinkPOS wallet, the terminal
forwards nothing and takes no sale until an operator adopts the journal
(``blink-terminal adopt``), knowing the other device will never use it again.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

DEVICE_KEY = "device"
WALLET_KEY = "blinkpos_wallet"


def this_device(machine_id_file: Path) -> str:
    """This device's identity for journals: the machine id, hashed for this application."""
    try:
        machine_id = machine_id_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        machine_id = ""
    # No machine id (a minimal container): the host name is the next best stable identity.
    source = machine_id or f"host:{socket.gethostname()}"
    return hashlib.sha256(f"blink-terminal:{source}".encode()).hexdigest()[:32]


def foreign_device(recorded: str | None, device: str) -> str | None:
    """Why the journal is not this device's, or None when it is (or records none yet)."""
    if recorded is None or recorded == device:
        return None
    return (
        "this journal belongs to another device (a copied SD card?): run "
        "'sudo blink-terminal adopt' once the other device can never use it again"
    )


def foreign_wallet(recorded: str | None, wallet: str) -> str | None:
    """Why the journal's sales cannot be forwarded from ``wallet``, or None when they can."""
    if not recorded or recorded == wallet:  # none yet, or cleared by adopt
        return None
    return (
        "this journal's sales were received on another BlinkPOS wallet: restore that "
        "BlinkPOS key, or adopt the journal with 'sudo blink-terminal adopt'"
    )
