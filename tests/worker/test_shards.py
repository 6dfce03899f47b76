"""Shard arithmetic: the query bounds around an owned range, the retention edge, and splits that neither
overlap nor leave a gap."""

from itertools import pairwise

import pytest

from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.worker.shards import MIN_SHARD_MS, query_bounds, split_ranges
from lambda_functions.worker.window import RETENTION_EDGE_MARGIN_MS

NOW = 1_700_000_000_000


def test_a_shard_asks_one_ms_beyond_its_range_on_both_sides():
    assert query_bounds(NOW - DAY_MS, NOW - 10, NOW) == (NOW - DAY_MS - 1, NOW - 9)


def test_the_start_follows_the_retention_edge_of_the_servers_clock():
    lo = NOW - RETENTION_MS  # older than the edge: asking for it would be a 40704
    bounds = query_bounds(lo, NOW, NOW)
    assert bounds is not None
    assert bounds[0] == NOW - RETENTION_MS + RETENTION_EDGE_MARGIN_MS
    later = NOW + 60_000  # the run went on for a minute: the edge moved with it
    later_bounds = query_bounds(lo, NOW, later)
    assert later_bounds is not None
    assert later_bounds[0] == later - RETENTION_MS + RETENTION_EDGE_MARGIN_MS


def test_a_range_entirely_past_the_edge_has_nothing_to_ask():
    assert query_bounds(NOW - RETENTION_MS - 10_000, NOW - RETENTION_MS, NOW) is None


def _check_cover(lo, oldest, new_lo, ranges):
    pieces = [(new_lo, oldest)] + [(r.lo, r.hi) for r in ranges]  # newest first
    assert pieces[-1][0] == lo
    for (newer_lo, _), (_, older_hi) in pairwise(pieces):
        assert older_hi == newer_lo - 1  # no gap, no overlap
    assert all(piece_lo <= piece_hi for piece_lo, piece_hi in pieces)


@pytest.mark.parametrize("idle", [1, 3, 8])
def test_a_dense_shard_splits_its_unpaged_range_into_one_piece_per_idle_thread(idle):
    lo, oldest = NOW - 80 * DAY_MS, NOW - DAY_MS
    # 400 rows over the last day: ~79 days left at that density is thousands of pages
    new_lo, ranges = split_ranges(lo, oldest, 400, DAY_MS, 100, idle)
    assert len(ranges) == idle
    _check_cover(lo, oldest, new_lo, ranges)


def test_a_light_shard_is_not_split():
    lo, oldest = NOW - 80 * DAY_MS, NOW - 10 * DAY_MS
    # 400 rows over 10 days: 70 days left is ~28 pages, enough for 3 pieces of >= 8 pages at most
    new_lo, ranges = split_ranges(lo, oldest, 400, 10 * DAY_MS, 100, 8)
    assert len(ranges) == 2
    _check_cover(lo, oldest, new_lo, ranges)
    # 40 rows over 10 days: ~3 pages left, not worth a single extra shard
    assert split_ranges(lo, oldest, 40, 10 * DAY_MS, 100, 8) == (lo, [])


def test_no_split_without_idle_threads_or_below_the_minimum_width():
    assert split_ranges(NOW - DAY_MS, NOW, 10_000, 1, 100, 0) == (NOW - DAY_MS, [])
    tiny = split_ranges(NOW - MIN_SHARD_MS, NOW, 10_000, 1, 100, 8)
    assert tiny == (NOW - MIN_SHARD_MS, [])
