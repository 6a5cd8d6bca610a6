"""Test timings scale with one environment variable, so the suite also passes on a slow Pi.

``BLINK_TEST_TIME_SCALE=4`` makes every bound four times longer. Use :func:`scaled` for every
timeout a test waits on; never assert that something was *fast* (that is what benchmarks are for).
The definition lives in :mod:`terminal.bench.harness`, shared with the benchmarks.
"""

from __future__ import annotations

import pytest

from terminal.bench.harness import TIME_SCALE, scaled

__all__ = ["TIME_SCALE", "scaled"]


@pytest.fixture
def time_scale() -> float:
    """The factor every test timeout is multiplied by."""
    return TIME_SCALE
