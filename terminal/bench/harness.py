"""The real terminal as a subprocess: config against a sandbox, stdin keypad, capture display.

Used by the end-to-end tests and the process benchmark. Readiness is read from a real
``NOTIFY_SOCKET`` (as systemd would), frames from the capture display's PNG files, output from
stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from terminal.sandbox import SandboxThread
from terminal.sandbox.terminal_config import sandbox_terminal_config

# Waits stretch with the test suite's time scale, so a slow Pi passes the same tests.
TIME_SCALE = float(os.environ.get("BLINK_TEST_TIME_SCALE", "1"))


def scaled(seconds: float) -> float:
    """``seconds`` stretched by ``BLINK_TEST_TIME_SCALE``."""
    return seconds * TIME_SCALE


def write_config(
    folder: Path,
    sandbox: SandboxThread,
    *,
    pos_key: str | None = None,
    merchant_key: bool = True,
    name: str = "Test Stall",
    log_level: str = "info",
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
        )
    )
    return path


class TerminalProcess:
    """``python -m terminal run --config ...`` with a notify socket, stdin and captured stderr."""

    def __init__(self, config: Path, *, env: dict[str, str] | None = None) -> None:
        self.folder = config.parent
        self.frames_dir = self.folder / "frames"
        notify_path = self.folder / "notify.sock"
        notify_path.unlink(missing_ok=True)
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(str(notify_path))
        self.notices: list[str] = []
        full_env = {**os.environ, "NOTIFY_SOCKET": str(notify_path), **(env or {})}
        full_env.pop("CREDENTIALS_DIRECTORY", None)
        # The command is this interpreter running this package: nothing untrusted.
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "terminal", "run", "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=self.folder,
        )
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: object, into: list[bytes]) -> None:
        assert stream is not None
        for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
            into.append(line)

    @property
    def stderr(self) -> str:
        """Everything the terminal logged so far."""
        return b"".join(self._err).decode(errors="replace")

    @property
    def stdout(self) -> str:
        """Everything the terminal printed so far."""
        return b"".join(self._out).decode(errors="replace")

    def wait_notice(self, prefix: str, timeout: float = 30.0) -> str:
        """Block until systemd would have heard a line starting with ``prefix``."""
        deadline = time.monotonic() + scaled(timeout)
        for line in self.notices:
            if line.startswith(prefix):
                return line
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                raise AssertionError(f"no {prefix!r} from the terminal; it logged:\n{self.stderr}")
            self._notify.settimeout(remaining)
            try:
                data = self._notify.recv(4096).decode()
            except TimeoutError:
                continue
            lines = data.split("\n")
            self.notices.extend(lines)
            for line in lines:
                if line.startswith(prefix):
                    return line

    def type(self, text: str) -> None:
        """Press keys on the stdin keypad."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def frames(self) -> list[Path]:
        """Every captured frame so far, oldest first."""
        return sorted(self.frames_dir.glob("*.png")) if self.frames_dir.exists() else []

    def wait_for_frame(
        self, accept: Callable[[Image.Image], bool], timeout: float = 30.0, start: int = 0
    ) -> tuple[int, Image.Image]:
        """The first captured frame from index ``start`` on that ``accept`` likes."""
        deadline = time.monotonic() + scaled(timeout)
        checked = start
        while time.monotonic() < deadline:
            frames = self.frames()
            for index in range(checked, len(frames)):
                with Image.open(frames[index]) as image:
                    image.load()
                    if accept(image):
                        return index, image.copy()
            checked = len(frames)
            if self.proc.poll() is not None:
                break
            self.wait_notice_or_tick(0.05)
        raise AssertionError(
            f"no matching frame among {checked}; the terminal logged:\n{self.stderr}"
        )

    def wait_notice_or_tick(self, seconds: float) -> None:
        """Wait up to ``seconds`` for a systemd notice (any news from the terminal), keeping it."""
        self._notify.settimeout(seconds)
        with contextlib.suppress(TimeoutError):
            self.notices.extend(self._notify.recv(4096).decode().split("\n"))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` and return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(scaled(timeout))
        for reader in self._readers:
            reader.join(scaled(5.0))
        self._collect_pending_notices()
        self._notify.close()
        return code

    def _collect_pending_notices(self) -> None:
        # The process has exited: whatever it said is already queued on the socket.
        self._notify.setblocking(False)
        while True:
            try:
                self.notices.extend(self._notify.recv(4096).decode().split("\n"))
            except BlockingIOError:
                return

    def __enter__(self) -> TerminalProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self._notify.close()


def poll_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Check ``condition`` until true, with short waits, or fail saying ``what`` did not happen."""
    deadline = time.monotonic() + scaled(timeout)
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        threading.Event().wait(0.02)
