"""Window defaults, the 90-day retention clamp (by Bitget's clock) and slicing to Bitget's maximum span."""

import itertools

import pytest

from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.worker.window import (
    MAX_SPAN_MS,
    RETENTION_EDGE_MARGIN_MS,
    Window,
    resolve_window,
    retention_edge_ms,
    slices,
)

NOW = 1_700_000_000_000
EDGE = NOW - RETENTION_MS + RETENTION_EDGE_MARGIN_MS


def test_default_window_is_the_last_90_days_from_the_retention_edge():
    assert retention_edge_ms(NOW) == EDGE
    assert resolve_window(None, None, NOW) == Window(EDGE, NOW)


def test_window_inside_retention_is_kept():
    assert resolve_window(NOW - 5 * DAY_MS, NOW - DAY_MS, NOW) == Window(NOW - 5 * DAY_MS, NOW - DAY_MS)


def test_window_beyond_retention_is_clamped_and_remembers_the_request():
    window = resolve_window(NOW - 200 * DAY_MS, NOW, NOW)
    assert (window.start_ms, window.clamped, window.requested_start_ms) == (EDGE, True, NOW - 200 * DAY_MS)


def test_window_entirely_before_retention_is_rejected():
    with pytest.raises(ValueError, match="retention"):
        resolve_window(NOW - 200 * DAY_MS, NOW - 100 * DAY_MS, NOW)


def test_slices_cover_the_window_newest_first_without_gaps_or_overlaps():
    window = Window(0, 200 * DAY_MS)
    parts = slices(window)
    assert parts[0][1] == window.end_ms and parts[-1][0] == window.start_ms
    for (newer_lo, _), (_, older_hi) in itertools.pairwise(parts):
        assert older_hi == newer_lo - 1
    assert all(hi - lo + 1 <= MAX_SPAN_MS for lo, hi in parts)
    assert len(parts) == 3
    assert slices(Window(5, 10)) == [(5, 10)]


def test_any_window_inside_the_retention_is_one_slice():
    assert slices(resolve_window(None, None, NOW)) == [(EDGE, NOW)]
