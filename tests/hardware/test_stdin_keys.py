"""Desktop keys from a pipe (the same reader thread as a TTY, without cbreak mode)."""

from __future__ import annotations

import asyncio
import os

from hardware.keypad import KeyPress, Unmapped
from hardware.stdin_keys import StdinKeypad, map_char
from terminal.keys import Key
from tests.support.timing import scaled


def test_key_map() -> None:
    assert [map_char(c) for c in "07\r\n\x7f\x1bcrmp"] == [
        Key.D0,
        Key.D7,
        Key.OK,
        Key.OK,
        Key.BACK,
        Key.CANCEL,
        Key.CANCEL,
        Key.RECONNECT,
        Key.MENU,
        Unmapped("p"),
    ]


async def test_keys_from_a_pipe_until_it_closes() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "r") as stream:
        keypad = StdinKeypad(stream)
        os.write(write_fd, b"21\x7f0\np")
        os.close(write_fd)

        async def collect() -> list[KeyPress]:
            return [k async for k in keypad.keys()]  # noqa: SIM118  # not a dict: async keys

        typed = await asyncio.wait_for(collect(), scaled(2))
        keypad.close()
    assert typed == [Key.D2, Key.D1, Key.BACK, Key.D0, Key.OK, Unmapped("p")]
