"""Switching the Pi off: one ``PowerOff`` seam with a logind backend and the desktop's stand-ins.

On a Pi the terminal runs as an unprivileged, sandboxed service user (no capabilities,
``NoNewPrivileges``), so it cannot halt the machine itself. It asks systemd-logind over D-Bus
(``org.freedesktop.login1.Manager.PowerOff``), and logind asks polkit; the Ansible role installs
a polkit rule that allows exactly ``org.freedesktop.login1.power-off`` and
``power-off-multiple-sessions`` to the service user and nothing else. ``busctl`` is systemd's
own D-Bus client, so no D-Bus library is needed. On a desktop the request is written to a file
(the end-to-end tests watch it) or only logged: a test must never switch the machine off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Protocol

from hardware.power_config import PowerConfig
from terminal.errors import HardwareError

log = logging.getLogger(__name__)

# busctl call DESTINATION PATH INTERFACE METHOD SIGNATURE ARGS: PowerOff(interactive=false).
LOGIND_POWEROFF = (
    "busctl",
    "call",
    "org.freedesktop.login1",
    "/org/freedesktop/login1",
    "org.freedesktop.login1.Manager",
    "PowerOff",
    "b",
    "false",
)


class PowerOff(Protocol):
    """Asks for the machine to be switched off; raises HardwareError if it was refused."""

    name: str

    async def request(self) -> None: ...


class LogindPowerOff:
    """logind's PowerOff over D-Bus, run as ``busctl`` (polkit decides; the role allows it)."""

    name = "logind"

    def __init__(self, command: tuple[str, ...] = LOGIND_POWEROFF, timeout: float = 10.0) -> None:
        self._command = command
        self._timeout = timeout

    async def request(self) -> None:
        """Ask logind to power off; HardwareError with logind's answer if it refused."""
        try:
            async with asyncio.timeout(self._timeout):
                proc = await asyncio.create_subprocess_exec(
                    *self._command,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
                _, err = await proc.communicate()
        except FileNotFoundError as exc:
            raise HardwareError(
                f"cannot power off: {self._command[0]} is missing (it comes with systemd)"
            ) from exc
        except TimeoutError as exc:
            raise HardwareError("cannot power off: logind did not answer in time") from exc
        if proc.returncode != 0:
            why = err.decode(errors="replace").strip()[:200] or f"exit {proc.returncode}"
            raise HardwareError(
                f"logind refused to power off ({why}): install the role's polkit rule "
                "(/etc/polkit-1/rules.d/50-blink-terminal-poweroff.rules)"
            )


class RecordedPowerOff:
    """The desktop's stand-in: appends one line per request to ``path`` (tests watch it)."""

    name = "record"

    def __init__(self, path: Path) -> None:
        self._path = path

    async def request(self) -> None:
        """Append ``poweroff requested at <unix time>`` to the file."""
        try:
            with self._path.open("a", encoding="utf-8") as out:
                out.write(f"poweroff requested at {time.time():.3f}\n")
        except OSError as exc:
            raise HardwareError(f"cannot write {self._path}: {exc.strerror}") from exc


class NoPowerOff:
    """Only logs: a desktop with a simulated battery, or a unit that must stay on."""

    name = "none"

    async def request(self) -> None:
        """Log that the power would be switched off now."""
        log.warning('power-off requested; [power] poweroff = "none": switch it off by hand')


def open_poweroff(cfg: PowerConfig) -> PowerOff:
    """The power-off backend ``cfg`` names."""
    if cfg.poweroff == "logind":
        return LogindPowerOff()
    if cfg.poweroff == "record":
        assert cfg.poweroff_record_file is not None  # checked by PowerConfig
        return RecordedPowerOff(cfg.poweroff_record_file)
    return NoPowerOff()
