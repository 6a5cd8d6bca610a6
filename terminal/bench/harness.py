"""The real terminal as a subprocess: one life of ``python -m terminal run`` against a sandbox.

Used by the process benchmark, the end-to-end tests and the fault tests (which start one
:class:`TerminalProcess` per life). Readiness and status come from a real ``NOTIFY_SOCKET`` (as
systemd would hear them), frames from the capture display's PNG files, output from stderr.
Every wait is bounded, and the bound is multiplied by ``time_scale`` (the tests pass theirs, so
a slow machine stretches every wait at once); a wait ends early with :class:`TerminalDied` when
the process exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from PIL import Image

from terminal.sandbox import SandboxThread
from terminal.sandbox.terminal_config import sandbox_terminal_config

POLL = 0.02  # how long one poll may block before the condition is checked again


class TerminalDied(Exception):
    """The terminal process exited while a wait was still waiting."""


def write_config(
    folder: Path,
    sandbox: SandboxThread,
    *,
    pos_key: str | None = None,
    merchant_key: bool = True,
    name: str = "Test Stall",
    log_level: str = "info",
    **options: object,
) -> Path:
    """A terminal.toml in ``folder`` for ``sandbox``; ``pos_key`` overrides the BlinkPOS key."""
    keys = sandbox.write_keys(folder / "keys")
    pos_path = keys["blinkpos"]
    if pos_key is not None:
        pos_path = folder / "keys" / "other-blinkpos.key"
        pos_path.write_text(pos_key + "\n")
        pos_path.chmod(0o600)
    path = folder / "terminal.toml"
    path.write_text(
        sandbox_terminal_config(
            sandbox.http_url,
            sandbox.ws_url,
            pos_key_file=pos_path,
            merchant_key_file=keys["merchant"] if merchant_key else None,
            name=name,
            log_level=log_level,
            **options,  # type: ignore[arg-type]
        )
    )
    return path


def set_power(config: Path, lines: str) -> None:
    """Replace the ``[power]`` section ``write_config`` wrote (mains) with ``lines``."""
    text = config.read_text()
    mains = '[power]\ndriver = "none"\n'
    if mains not in text:
        raise ValueError(f"{config} has no mains [power] section to replace")
    config.write_text(text.replace(mains, "[power]\n" + lines))


class TerminalProcess:
    """One life of the terminal: a notify socket, stdin for keys, stderr kept or logged."""

    def __init__(
        self,
        config: Path,
        *,
        argv: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        log: IO[str] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        """Start it. ``argv`` replaces ``python -m terminal run`` (``--config`` is appended);
        ``log``, if given, receives stderr instead of this object keeping it."""
        self.config = config
        self.folder = config.parent
        self.frames_dir = self.folder / "frames"
        self.time_scale = time_scale
        # A unix socket path must stay under ~100 bytes; a test's tmp_path may not.
        self._sock_dir = Path(tempfile.mkdtemp(prefix="bt-notify-"))
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(str(self._sock_dir / "n"))
        self.notices: list[str] = []
        full_env = {**os.environ, "NOTIFY_SOCKET": str(self._sock_dir / "n"), **(env or {})}
        full_env.pop("CREDENTIALS_DIRECTORY", None)
        command = list(argv or [sys.executable, "-m", "terminal", "run"])
        # The command is this interpreter running this project: nothing untrusted.
        self.proc = subprocess.Popen(  # noqa: S603
            [*command, "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.PIPE,
            env=full_env,
            cwd=cwd or self.folder,
        )
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        streams = [(self.proc.stdout, self._out)]
        if log is None:
            streams.append((self.proc.stderr, self._err))
        self._readers = [
            threading.Thread(target=self._drain, args=(stream, into), daemon=True)
            for stream, into in streams
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: object, into: list[bytes]) -> None:
        assert stream is not None
        for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
            into.append(line)

    # --- what it said ---------------------------------------------------------------------

    @property
    def stderr(self) -> str:
        """Everything the terminal logged so far (empty when it logs to a file)."""
        return b"".join(self._err).decode(errors="replace")

    @property
    def stdout(self) -> str:
        """Everything the terminal printed so far."""
        return b"".join(self._out).decode(errors="replace")

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def wait_notice(self, prefix: str, timeout: float = 30.0) -> str:
        """The first systemd notice starting with ``prefix``, waiting for it if need be."""
        found: list[str] = []

        def heard() -> bool:
            found[:] = [line for line in self.notices if line.startswith(prefix)]
            return bool(found)

        self.wait_until(heard, f"a {prefix!r} notice", timeout)
        return found[0]

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Check ``condition`` until true; TerminalDied if the process ends first.

        Between checks it listens on the notify socket, so news from the terminal ends a pause.
        """
        deadline = time.monotonic() + timeout * self.time_scale
        while not condition():
            if not self.alive():
                self.collect_notices()
                if condition():
                    return
                raise TerminalDied(f"the terminal exited ({self.proc.returncode}) before {what}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; it logged:\n{self.stderr}")
            self._listen(min(POLL, remaining))

    def _listen(self, seconds: float) -> None:
        self._notify.settimeout(seconds)
        with contextlib.suppress(TimeoutError):
            self.notices.extend(self._notify.recv(4096).decode().split("\n"))

    def collect_notices(self) -> None:
        """Take every notice already sent (after an exit, everything it said is queued)."""
        if self._notify.fileno() < 0:
            return  # closed: everything was taken before
        self._notify.setblocking(False)
        try:
            while True:
                self.notices.extend(self._notify.recv(4096).decode().split("\n"))
        except BlockingIOError:
            pass
        finally:
            self._notify.setblocking(True)

    # --- what it shows --------------------------------------------------------------------

    def frames(self) -> list[Path]:
        """Every captured frame so far, oldest first."""
        return sorted(self.frames_dir.glob("*.png")) if self.frames_dir.exists() else []

    def wait_for_frame(
        self, accept: Callable[[Image.Image], bool], timeout: float = 30.0, start: int = 0
    ) -> tuple[int, Image.Image]:
        """The first captured frame from index ``start`` on that ``accept`` likes."""
        checked = start
        match: list[tuple[int, Image.Image]] = []

        def shown() -> bool:
            nonlocal checked
            frames = self.frames()
            for index in range(checked, len(frames)):
                with Image.open(frames[index]) as image:
                    image.load()
                    if accept(image):
                        match.append((index, image.copy()))
                        return True
            checked = len(frames)
            return False

        self.wait_until(shown, f"a matching frame (checked {checked})", timeout)
        return match[0]

    # --- driving it -----------------------------------------------------------------------

    def type(self, text: str) -> None:
        """Press keys on the stdin keypad (a dead process's broken pipe is ignored)."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the process to end by itself; its exit code."""
        code = self.proc.wait(timeout * self.time_scale)
        self.collect_notices()
        return code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` (if it still runs) and return the exit code."""
        if self.alive():
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout * self.time_scale)
        for reader in self._readers:
            reader.join(5.0 * self.time_scale)
        self.collect_notices()
        return code

    def close(self) -> None:
        """Kill the process if it still runs and release everything it held."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._notify.close()
        shutil.rmtree(self._sock_dir, ignore_errors=True)

    def __enter__(self) -> TerminalProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def poll_until(
    condition: Callable[[], bool], timeout: float, what: str, time_scale: float = 1.0
) -> None:
    """Check ``condition`` until true, with short waits, or fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout * time_scale
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        threading.Event().wait(POLL)
