"""Reading API keys from files, the way ssh reads a private key: refuse one others can read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from terminal.errors import SecretFileError
from terminal.secret import Secret

_MAX_KEY_BYTES = 4096


def locate(value: str, *, base_dir: Path) -> Path:
    """Where a ``key_file`` setting points: absolute, a systemd credential, or beside the config."""
    path = Path(value)
    if path.is_absolute():
        return path
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds:
        return Path(creds) / path
    return base_dir / path


def read_key(setting: str, value: str, *, name: str, base_dir: Path) -> Secret:
    """The key ``setting`` names; SecretFileError (never showing the key) on any problem."""
    path = locate(value, base_dir=base_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise SecretFileError(
            setting, f"{path} does not exist", f"put the {name} key in that file"
        ) from None
    except PermissionError:
        # Never advise a second, looser copy: the key's owner (root, for a unit the Ansible role
        # set up; the service reads it through LoadCredential=) runs the command instead.
        raise SecretFileError(
            setting,
            f"{path} cannot be read by this user",
            "run the command as the key's owner (on a provisioned unit: sudo blink-terminal ...)",
        ) from None
    except OSError as exc:
        raise SecretFileError(setting, f"cannot open {path}: {exc.strerror}", "") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretFileError(
                setting, f"{path} is not a regular file", "point it at the key file"
            )
        if info.st_mode & 0o077:
            raise SecretFileError(
                setting,
                f"{path} can be read by group or others (mode {stat.S_IMODE(info.st_mode):o})",
                f"run: chmod 600 {path}",
            )
        raw = os.read(fd, _MAX_KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > _MAX_KEY_BYTES:
        raise SecretFileError(
            setting, f"{path} is too large to be an API key", "it should hold one key"
        )
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SecretFileError(
            setting, f"{path} holds something that is not an API key", ""
        ) from None
    if not text:
        raise SecretFileError(setting, f"{path} is empty", f"put the {name} key in it")
    if any(c.isspace() for c in text) or not text.isprintable():
        raise SecretFileError(
            setting,
            f"{path} must hold exactly one key on one line",
            "remove anything else from the file",
        )
    return Secret(name, text)
