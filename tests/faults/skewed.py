"""``python -m tests.faults.skewed OFFSET --config FILE``: ``blink-terminal run`` on a moved clock.

A stall that was offline for a day sees its own clock move a day as well; the sandbox's clock is
moved with ``clock.advance``, so the terminal under test must see the same shift. The terminal
takes its clock by injection (``Terminal(clock=...)``), so this is the ``run`` verb with that one
argument given: no module is patched.
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


def main(argv: list[str] | None = None) -> int:
    """Run the terminal with its wall clock ``OFFSET`` seconds ahead; return its exit code."""
    parser = argparse.ArgumentParser(prog="skewed")
    parser.add_argument("offset", type=float)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logsetup.configure(config.terminal.log_level)
    offset: float = args.offset

    def clock() -> float:
        return time.time() + offset

    async def run() -> int:
        peripherals = Peripherals.from_config(config)
        return await Terminal(config, peripherals, clock=clock).run()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
