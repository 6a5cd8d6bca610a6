"""Runs inside a copy of blink-terminal.service (same sandbox, same user) and reports what the
service may do. One line per check, "ok" or "FAIL"; exit 1 on any failure. Prints no secret:
the credential is compared by its SHA-256 against the digest given as the first argument."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

failures = 0


def check(ok: bool, what: str) -> None:
    """Print one result line and count a failure."""
    global failures  # noqa: PLW0603 - a tiny script: one counter beats threading a state object
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)


def write_fails(path: str, expected: int) -> bool:
    """True if creating ``path`` fails with errno ``expected``."""
    try:
        Path(path).write_text("probe")
    except OSError as e:
        return e.errno == expected
    Path(path).unlink()
    return False


def writable(path: Path) -> bool:
    """True if a file can be created (and removed again) in folder ``path``."""
    try:
        (path / "probe").write_text("probe")
        (path / "probe").unlink()
    except OSError:
        return False
    return True


def read_error(path: str) -> int | None:
    """The errno of opening ``path`` for reading, or None if it opened."""
    try:
        with open(path, "rb"):
            return None
    except OSError as e:
        return e.errno


def main() -> int:
    """Run every check; 0 if all passed."""
    expected_digest = sys.argv[1]
    config_dir, venv = sys.argv[2], sys.argv[3]
    for path in ("/usr/probe", "/etc/probe", f"{config_dir}/probe", f"{venv}/probe"):
        check(write_fails(path, errno.EROFS), f"{path}: read-only (EROFS)")
    for var in ("STATE_DIRECTORY", "RUNTIME_DIRECTORY"):
        folder = os.environ.get(var, "")
        check(bool(folder) and writable(Path(folder)), f"${var} {folder}: writable")
    runtime = Path(os.environ.get("RUNTIME_DIRECTORY", "/"))
    check(Path.cwd() == runtime, "working directory is the runtime one (lgpio)")
    cred = Path(os.environ.get("CREDENTIALS_DIRECTORY", "/nonexistent"), "blinkpos.key")
    try:
        digest = hashlib.sha256(cred.read_bytes()).hexdigest()
        check(digest == expected_digest, "blinkpos.key credential: readable, the Vault's key")
    except OSError as e:
        check(False, f"blinkpos.key credential: unreadable ({e.strerror})")
    check(read_error(f"{config_dir}/blinkpos.key") == errno.EACCES, "the key file itself: EACCES")
    check(read_error(f"{config_dir}/merchant.key") == errno.EACCES, "the merchant key file: EACCES")
    check(not Path("/root").exists() or read_error("/root/.profile") is not None, "/root: hidden")
    lines = Path("/proc/self/status").read_text().splitlines()
    status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
    check(status.get("NoNewPrivs", "").strip() == "1", "NoNewPrivs=1")
    check(status.get("Seccomp", "").strip() == "2", "seccomp filter on")
    check(int(status.get("CapEff", "1"), 16) == 0, "no effective capabilities")
    check(int(status.get("CapBnd", "1"), 16) == 0, "empty capability bounding set")
    # The container has /dev/net/tun; DevicePolicy=closed must refuse it (needs the bpf flags).
    check(read_error("/dev/net/tun") == errno.EPERM, "/dev/net/tun: EPERM (DevicePolicy=closed)")
    # The terminal's power-off goes through the system bus from inside this sandbox: logind must
    # answer, and polkit (the role's rule) must say yes. CanPowerOff asks without acting.
    asked = subprocess.run(
        [
            "/usr/bin/busctl",
            "call",
            "org.freedesktop.login1",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "CanPowerOff",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    answer = (asked.stdout or asked.stderr).strip()[:80]
    check(answer == 's "yes"', f"logind from the sandbox: CanPowerOff {answer}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
