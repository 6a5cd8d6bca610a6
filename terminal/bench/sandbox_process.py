"""The sandbox in a process of its own, driven through its control endpoint, for the benchmarks.

A benchmark that runs the terminal in its own process must not host Blink on a thread of that
process too: the sandbox's GraphQL parsing would share the terminal's GIL (and its CPU quota,
under ``--cpu-quota``) and be counted as the terminal's time. On a Pi, Blink is another machine.
This runs ``blink-terminal sandbox`` as a child and offers the little the benchmarks use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from terminal.errors import TerminalError

START_TIMEOUT = 30.0


class SandboxProcess:
    """``with SandboxProcess() as sb:`` a sandbox on loopback, in a child process."""

    def __init__(self) -> None:
        self._keys = Path(tempfile.mkdtemp(prefix="blink-bench-keys-"))
        # This interpreter running this project's own sandbox verb: nothing untrusted.
        self._proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "terminal", "sandbox", "--port", "0", "--keys-dir", self._keys],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        urls: dict[str, str] = {}
        assert self._proc.stdout is not None
        for line in self._proc.stdout:  # it prints every URL, then every key, then waits
            word, _, rest = line.partition(" ")
            urls[word] = rest.strip()
            if word == "key" and "blinkpos " in rest + " ":
                break
        if "control" not in urls:
            self.close()
            raise TerminalError("the sandbox process did not start: run `blink-terminal sandbox`")
        self.http_url = urls["HTTP"]
        self.ws_url = urls["WS"]
        self._control = httpx.Client(base_url=urls["control"] + "/", timeout=START_TIMEOUT)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self._control.post(path, json=body)
        answer.raise_for_status()
        return answer.json()

    def _get(self, path: str) -> Any:
        answer = self._control.get(path)
        answer.raise_for_status()
        return answer.json()

    def write_keys(self, folder: Path) -> None:
        """Copy the sandbox's key files (0600) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for key in self._keys.glob("*.key"):
            shutil.copy2(key, folder / key.name)

    def wallet_id(self, account: str) -> str:
        """The BTC wallet id of a sandbox account."""
        return str(self._get("accounts")[account]["BTC"])

    def set_latency(self, seconds: float) -> None:
        """Answer every HTTP request ``seconds`` late."""
        self._post("faults", {"latency": seconds})

    def pay(self, payment_request: str) -> str:
        """Pay as the sandbox's customer; the payment's status."""
        return str(self._post("pay", {"paymentRequest": payment_request})["status"])

    def pay_requests(self) -> list[tuple[float, str]]:
        """Every pay request the sandbox received: (``time.monotonic()`` there, wallet id).

        CLOCK_MONOTONIC is one clock for every process on the machine, so these times compare
        with the benchmark's own.
        """
        return [(r["at"], r["wallet_id"]) for r in self._get("ledger")["payRequests"]]

    def served(self) -> list[tuple[str, float, float | None]]:
        """The latest HTTP requests: (operation, when it reached the sandbox, when the sandbox
        answered it), ``time.monotonic()`` there; arrival is before any injected latency."""
        return [(name, at, done) for name, at, done in self._get("stats")["served"]]

    def close(self) -> None:
        """Stop the sandbox and remove its keys."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        if hasattr(self, "_control"):
            self._control.close()
        shutil.rmtree(self._keys, ignore_errors=True)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
