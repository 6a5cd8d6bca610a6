"""The benchmarks' shared percentile: nearest rank, always a measured value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.bench.stats import percentile


def test_nearest_rank_on_a_hundred_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


def test_with_few_values_p99_is_the_maximum() -> None:
    assert percentile([3.0, 1.0, 2.0], 99) == 3.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


@given(st.lists(st.floats(allow_nan=False), min_size=1), st.floats(min_value=0.01, max_value=100))
def test_the_answer_is_one_of_the_values(values: list[float], q: float) -> None:
    assert percentile(values, q) in values


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], 0), ([1.0], 101)])
def test_nonsense_is_refused(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)
