"""Test timings scale with one environment variable, so the suite also passes on a slow Pi.

``BLINK_TEST_TIME_SCALE=4`` makes every bound four times longer. Use :func:`scaled` for every
timeout a test waits on; never assert that something was *fast* (that is what benchmarks are for).
"""

from __future__ import annotations

import os

TIME_SCALE = float(os.environ.get("BLINK_TEST_TIME_SCALE", "1"))


def scaled(seconds: float) -> float:
    """``seconds`` stretched by ``BLINK_TEST_TIME_SCALE``."""
    return seconds * TIME_SCALE
