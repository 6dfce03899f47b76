"""The sync state: where each stream's next incremental sync starts, and how an execution advances it."""

from __future__ import annotations

import datetime as dt

from lambda_functions.common import sync_state
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
OVERLAP = sync_state.SYNC_OVERLAP_MS


def _entry(key, start, end, complete=True, stream=None):
    return {
        "key": key,
        "stream": stream or key.split(":")[0],
        "start_ms": start,
        "end_ms": end,
        "complete": complete,
    }


def test_a_complete_stream_advances_to_its_end_and_remembers_its_oldest_open_order():
    state = sync_state.updated(
        None,
        account_id="42",
        execution="e1",
        coverage=[_entry("spot_normal", NOW_MS - 90 * DAY_MS, NOW_MS)],
        open_orders={"spot_normal": {"checked": True, "count": 2, "oldest_ms": NOW_MS - 20 * DAY_MS}},
        spot_symbols=["BTCUSDT"],
        now=NOW,
    )
    entry = state["streams"]["spot_normal"]
    assert entry["synced_to_ms"] == NOW_MS and entry["oldest_open_ms"] == NOW_MS - 20 * DAY_MS
    # the order created 20 days ago and still open is inside the next window whenever it finishes
    assert sync_state.stream_starts(state, NOW_MS + DAY_MS) == {"spot_normal": NOW_MS - 20 * DAY_MS - OVERLAP}


def test_nothing_open_means_the_next_sync_starts_just_before_the_last_end():
    state = sync_state.updated(
        None, account_id="42", execution="e1",
        coverage=[_entry("USDT-FUTURES", NOW_MS - DAY_MS, NOW_MS)],
        open_orders={"USDT-FUTURES": {"checked": True, "count": 0, "oldest_ms": None}},
        spot_symbols=[], now=NOW,
    )  # fmt: skip
    assert sync_state.stream_starts(state, NOW_MS + DAY_MS) == {"USDT-FUTURES": NOW_MS - OVERLAP}


def test_a_failed_open_check_makes_the_next_sync_page_the_same_window_again():
    start = NOW_MS - 3 * DAY_MS
    state = sync_state.updated(
        None, account_id="42", execution="e1",
        coverage=[_entry("spot_tpsl", start, NOW_MS)],
        open_orders={"spot_tpsl": {"checked": False, "error_code": "40404"}},
        spot_symbols=[], now=NOW,
    )  # fmt: skip
    assert sync_state.stream_starts(state, NOW_MS + DAY_MS)["spot_tpsl"] == start - OVERLAP


def test_an_incomplete_stream_does_not_advance_and_a_later_one_never_moves_back():
    first = sync_state.updated(
        None, account_id="42", execution="e1",
        coverage=[_entry("spot_normal", 0, NOW_MS), _entry("spot_tpsl", 0, NOW_MS, complete=False)],
        open_orders={}, spot_symbols=[], now=NOW,
    )  # fmt: skip
    assert "spot_tpsl" not in first["streams"]
    # an older extraction finishing later never moves the state back
    second = sync_state.updated(
        first, account_id="42", execution="old",
        coverage=[_entry("spot_normal", 0, NOW_MS - DAY_MS)],
        open_orders={"spot_normal": {"checked": True, "count": 0, "oldest_ms": None}},
        spot_symbols=["ETHUSDT"], now=NOW,
    )  # fmt: skip
    assert second["streams"]["spot_normal"]["synced_to_ms"] == NOW_MS
    assert second["spot_symbols"] == ["ETHUSDT"]


def test_spot_plan_keys_fall_back_to_the_streams_open_check_and_starts_never_precede_the_retention():
    state = sync_state.updated(
        None, account_id="42", execution="e1",
        coverage=[_entry("spot_plan:BTCUSDT", 0, NOW_MS, stream="spot_plan")],
        open_orders={"spot_plan": {"checked": True, "count": 1, "oldest_ms": NOW_MS - 5 * DAY_MS}},
        spot_symbols=["BTCUSDT"], now=NOW,
    )  # fmt: skip
    assert state["streams"]["spot_plan:BTCUSDT"]["oldest_open_ms"] == NOW_MS - 5 * DAY_MS
    much_later = NOW_MS + 200 * DAY_MS
    assert sync_state.stream_starts(state, much_later) == {"spot_plan:BTCUSDT": much_later - RETENTION_MS}


def test_state_round_trips_through_the_store(tmp_path):
    store = LocalResultsStore(tmp_path)
    assert sync_state.read(store, "p/", "42") is None
    state = sync_state.updated(
        None, account_id="42", execution="e", coverage=[], open_orders={}, spot_symbols=[], now=NOW
    )
    sync_state.write(store, "p/", "42", state)
    assert sync_state.read(store, "p/", "42") == state
    assert sync_state.sync_key("p/", "42") == "p/_accounts/42/sync.json"


def test_few_open_orders_are_looked_up_by_id_instead_of_paging_back_to_the_oldest():
    ids = [{"id": "11", "c_time": NOW_MS - 20 * DAY_MS, "plan_type": None}]
    state = sync_state.updated(
        None, account_id="42", execution="e1",
        coverage=[_entry("spot_normal", NOW_MS - 90 * DAY_MS, NOW_MS)],
        open_orders={"spot_normal": {"checked": True, "count": 1, "oldest_ms": NOW_MS - 20 * DAY_MS, "ids": ids}},
        spot_symbols=[], now=NOW,
    )  # fmt: skip
    starts = sync_state.stream_starts(state, NOW_MS + DAY_MS)
    assert starts == {"spot_normal": NOW_MS - OVERLAP}  # not pulled back 20 days...
    assert sync_state.lookups(state, starts) == {"spot_normal": ids}  # ...the order is asked for by id
    # an open order inside the next window needs no lookup: paging sees it
    recent = [{"id": "12", "c_time": NOW_MS - 60_000, "plan_type": None}]
    state["streams"]["spot_normal"]["open_ids"] = recent
    assert sync_state.lookups(state, starts) == {}
