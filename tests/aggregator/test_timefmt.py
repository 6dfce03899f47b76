from __future__ import annotations

import pytest

from lambda_functions.aggregator.timefmt import format_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0.000s"),
        (2.45, "2.450s"),
        (59.9996, "1m 0.000s"),
        (115.092, "1m 55.092s"),
        (3723, "1h 2m 3.000s"),
        (3605.5, "1h 0m 5.500s"),
    ],
)
def test_human_format(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_rejects_impossible_durations(bad: float) -> None:
    with pytest.raises(ValueError, match="duration must be"):
        format_duration(bad)
