"""The one percentile every benchmark reports with, and the one way they print their figures."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100): a value that was measured.

    Nearest rank never interpolates, so p99 is a real sale's time; with fewer than 100 values
    it is the maximum, which is the honest answer for so few.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to take a percentile of")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is outside (0, 100]")
    return ordered[math.ceil(q / 100 * len(ordered)) - 1]


def print_figures(rows: list[tuple[str, str]], width: int = 38) -> None:
    """Print a "figure  value" table, the name column ``width`` wide."""
    for name, value in [("figure", "value"), *rows]:
        print(f"{name:<{width}} {value}")
