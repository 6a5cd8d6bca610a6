"""Test timings scale with one environment variable, so the suite also passes on a slow Pi.

``BLINK_TEST_TIME_SCALE=4`` makes every bound four times longer. Use :func:`scaled` for every
timeout a test waits on; never assert that something was *fast* (that is what benchmarks are for).
The definition lives in :mod:`terminal.bench.harness`, shared with the benchmarks.
"""

from __future__ import annotations

from terminal.bench.harness import scaled

__all__ = ["scaled"]
