"""Adaptive page size: starts at the maximum, grows when fast, shrinks when slow, never leaves its bounds."""

import pytest

from lambda_functions.worker.page_size import PageSizer


def test_starts_at_max_and_stays_there_while_fast():
    sizer = PageSizer(50, 100)
    assert sizer.size == 100
    assert sizer.record(0.05) == 100
    assert sizer.adjustments == 0


def test_shrinks_when_slow_down_to_min_and_not_below():
    sizer = PageSizer(50, 100)
    sizes = [sizer.record(3.5) for _ in range(5)]
    assert sizes == [80, 60, 50, 50, 50]
    assert sizer.adjustments == 3


def test_grows_back_when_fast_up_to_max_and_not_above():
    sizer = PageSizer(50, 100)
    for _ in range(3):
        sizer.record(5.0)
    assert [sizer.record(0.2) for _ in range(4)] == [70, 90, 100, 100]


def test_middle_latency_keeps_the_size():
    sizer = PageSizer(50, 100)
    sizer.record(4.0)
    assert sizer.record(2.0) == 80


def test_disabled_never_changes():
    sizer = PageSizer(50, 100, adaptive=False)
    assert [sizer.record(10.0), sizer.record(0.1)] == [100, 100]


def test_rejects_inverted_bounds():
    with pytest.raises(ValueError, match="min"):
        PageSizer(80, 50)
