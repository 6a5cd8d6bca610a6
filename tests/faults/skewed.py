"""``python -m tests.faults.skewed OFFSET --config FILE``: ``blink-terminal run`` on a moved clock.

A Pi has no RTC: at boot its wall clock may be hours or days off, and time sync makes it jump.
The terminal takes its wall clock by injection (``Terminal(clock=...)``), so this is the ``run``
verb with that one argument given (no module is patched). ``OFFSET`` is either a number of
seconds, or the path of a file holding one, read at every look at the clock, so a test can make
the clock jump while the terminal runs. The monotonic clock is left alone, as on a real Pi.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from terminal import logsetup
from terminal.config import load_config
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal


def offset_of(spec: str) -> float:
    """The clock's offset now: ``spec`` itself, or what the file it names holds."""
    try:
        return float(spec)
    except ValueError:
        return float(Path(spec).read_text(encoding="ascii").strip() or "0")


def main(argv: list[str] | None = None) -> int:
    """Run the terminal with its wall clock moved; return its exit code."""
    parser = argparse.ArgumentParser(prog="skewed")
    parser.add_argument("offset", help="seconds, or a file holding them (read at every look)")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logsetup.configure(config.terminal.log_level)
    spec: str = args.offset

    def clock() -> float:
        return time.time() + offset_of(spec)

    async def run() -> int:
        peripherals = Peripherals.from_config(config)
        return await Terminal(config, peripherals, clock=clock).run()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
