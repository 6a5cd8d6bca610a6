"""Whether the wall clock can be believed: a Pi has no RTC and boots with yesterday's time.

The money path decides nothing by the wall clock any more (Blink's clock and the monotonic one
do that), but sale records, ids and the history carry wall times, and a stall that boots with no
network and a wrong clock must say so instead of selling. The kernel knows whether NTP has set
the clock (``adjtimex`` reports ``TIME_ERROR`` until it has); systemd-timesyncd and chrony both
tell it. With ``[terminal] clock = "trust"`` (a desktop, a board with an RTC) nothing is waited for.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_TIME_ERROR = 5  # adjtimex's "clock not synchronised" (<sys/timex.h>)
_TIMEX_SIZE = 512  # struct timex is 208 bytes on 64-bit Linux; room to spare


def kernel_says_synchronised() -> bool:
    """True unless the kernel reports the clock unsynchronised (True where it cannot say)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return True
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        buffer = ctypes.create_string_buffer(_TIMEX_SIZE)  # modes = 0: only read
        state = int(libc.adjtimex(buffer))
    except (OSError, AttributeError):
        return True
    return state != _TIME_ERROR


async def watch_clock(
    report: Callable[[bool], None],
    *,
    synchronised: Callable[[], bool] = kernel_says_synchronised,
    every: float = 1.0,
) -> None:
    """Report whether the clock is synchronised, until it is (then once more, and stop)."""
    if synchronised():
        report(True)
        return
    log.warning("the clock is not synchronised yet: no sale until it is (forwards continue)")
    report(False)
    while not synchronised():  # noqa: ASYNC110 - the kernel offers nothing to wait on
        await asyncio.sleep(every)
    log.info("the clock is synchronised")
    report(True)
