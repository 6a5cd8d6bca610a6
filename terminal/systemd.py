"""systemd's notify protocol (READY, WATCHDOG, STATUS, STOPPING) without a dependency.

The protocol is one datagram to ``$NOTIFY_SOCKET``; the ``sdnotify`` package does the same and
is unmaintained since 2017, so 20 lines here are the better trade. Every call is a no-op when the
variable is unset (desktop, tests).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(*lines: str) -> bool:
    """Send ``lines`` to systemd; True if a notify socket was there to hear them."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address[0] == "@":  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
    except OSError as exc:
        # Losing a STATUS line must not take the terminal down; a lost WATCHDOG ping will.
        log.warning("could not notify systemd: %s", exc.strerror)
        return False
    return True


def watchdog_interval() -> float | None:
    """Half the watchdog period systemd asked for, or None when no watchdog is set for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid.isdigit() and int(pid) != os.getpid()):
        return None
    try:
        return max(int(usec) / 2_000_000, 0.05)
    except ValueError:
        return None


async def watchdog(healthy: Callable[[], bool]) -> None:
    """Ping systemd's watchdog from the loop while ``healthy()``; a stuck loop stops the pings."""
    interval = watchdog_interval()
    if interval is None:
        return
    while True:
        if healthy():
            notify("WATCHDOG=1")
        await asyncio.sleep(interval)
