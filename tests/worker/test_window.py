"""Window defaults, the 90-day retention clamp and slicing to Bitget's maximum span."""

import pytest

from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.worker.window import Window, resolve_window, slices

NOW = 1_700_000_000_000


def test_default_window_is_the_last_90_days():
    assert resolve_window(None, None, NOW) == Window(NOW - RETENTION_MS, NOW)


def test_window_inside_retention_is_kept():
    assert resolve_window(NOW - 5 * DAY_MS, NOW - DAY_MS, NOW) == Window(NOW - 5 * DAY_MS, NOW - DAY_MS)


def test_window_beyond_retention_is_clamped_and_remembers_the_request():
    window = resolve_window(NOW - 200 * DAY_MS, NOW, NOW)
    assert (window.start_ms, window.clamped, window.requested_start_ms) == (
        NOW - RETENTION_MS,
        True,
        NOW - 200 * DAY_MS,
    )


def test_window_entirely_before_retention_is_rejected():
    with pytest.raises(ValueError, match="retention"):
        resolve_window(NOW - 200 * DAY_MS, NOW - 100 * DAY_MS, NOW)


def test_slices_cover_the_window_newest_first_sharing_borders():
    window = Window(0, 200 * DAY_MS)
    assert slices(window) == [(110 * DAY_MS, 200 * DAY_MS), (20 * DAY_MS, 110 * DAY_MS), (0, 20 * DAY_MS)]
    assert slices(Window(5, 10)) == [(5, 10)]
