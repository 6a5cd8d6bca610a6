"""One terminal per journal: an exclusive lock on the state directory, held while it runs.

Two processes on one journal (a second ``run`` started by hand beside the service, a test left
running) would each forward the same sales: Blink never pays one invoice twice, but each could
replace an expired one, and both replacements would be paid. The lock is the kernel's
(``flock``): it dies with the process, so a power cut never leaves it stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from terminal.errors import JournalError

LOCK_FILE = "terminal.lock"


class StateLock:
    """Held by the one process allowed to use a state directory."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, state_dir: Path) -> StateLock:
        """Take the lock, or JournalError naming the process that holds it."""
        try:
            state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = state_dir / LOCK_FILE
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise JournalError(
                f"cannot lock the state directory {state_dir} ({exc.strerror}): check "
                "terminal.state_dir and that the service may write there"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise JournalError(
                f"another terminal (pid {holder}) is running on {state_dir}: only one terminal "
                "may use a journal; stop the other one first (systemctl stop blink-terminal)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        """Let the next process in."""
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
