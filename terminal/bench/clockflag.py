"""``python -m terminal.bench.clockflag FLAG --config FILE``: ``run`` before time sync.

A Pi has no RTC: it boots with a wrong clock and the kernel calls it unsynchronised until NTP has
set it. A desktop's kernel says what it says (often "unsynchronised" in a VM, for ever), so a test
or a benchmark cannot make the clock "arrive". The terminal takes that signal by injection
(``Terminal(clock_synchronised=...)``); this is the ``run`` verb with that one argument given (no
module is patched): the clock counts as synchronised once the file ``FLAG`` exists, the way
systemd-timesyncd marks a synchronised clock with ``/run/systemd/timesync/synchronized``. The
configuration must say ``[terminal] clock = "ntp"`` for the terminal to wait at all.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from terminal import logsetup
from terminal.config import load_config
from terminal.shell.peripherals import Peripherals
from terminal.shell.runtime import Terminal


def main(argv: list[str] | None = None) -> int:
    """Run the terminal with its clock synchronised once ``FLAG`` exists; its exit code."""
    parser = argparse.ArgumentParser(prog="clockflag")
    parser.add_argument("flag", type=Path, help="the clock is synchronised once this file exists")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logsetup.configure(config.terminal.log_level)
    flag: Path = args.flag

    async def run() -> int:
        peripherals = Peripherals.from_config(config)
        return await Terminal(config, peripherals, clock_synchronised=flag.exists).run()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
