"""The streaming merge: global newest-first order, duplicates dropped, bad inputs named."""

from __future__ import annotations

import io
import json

import pytest

from lambda_functions.aggregator.merge import (
    MAX_READ_BYTES,
    MIN_READ_BYTES,
    READ_BUDGET_BYTES,
    InvalidOrdersFileError,
    MergeStats,
    merge_newest_first,
    read_orders,
    read_size_for,
)
from lambda_functions.common.streams import newest_first_key
from tests.aggregator.factory import make_orders, spot_order


def _file(orders: list[dict]) -> io.BytesIO:
    return io.BytesIO(json.dumps({"symbol": "X", "execution": "e", "orders": orders}).encode())


def test_merge_equals_sorted_union_newest_first() -> None:
    # GIVEN three symbols with interleaved times and cTime ties
    files = {s: make_orders(s, 120, seed=i) for i, s in enumerate(["BTCUSDT", "ETHUSDT", "SOLUSDT"])}
    stats = MergeStats()
    # WHEN merged from their serialised form
    merged = list(merge_newest_first({s: read_orders(_file(o)) for s, o in files.items()}, stats))
    # THEN the result is exactly the union sorted by the contract's key, descending
    union = [o for orders in files.values() for o in orders]
    assert merged == sorted(union, key=newest_first_key, reverse=True)
    assert stats.orders == 360
    assert stats.read_by_source == {"BTCUSDT": 120, "ETHUSDT": 120, "SOLUSDT": 120}
    assert sum(stats.orders_by_stream.values()) == 360


def test_ties_in_ctime_are_ordered_by_order_id_descending() -> None:
    a = [spot_order("AUSDT", 30, 1000), spot_order("AUSDT", 10, 1000)]
    b = [spot_order("BUSDT", 20, 1000), spot_order("BUSDT", 5, 999)]
    merged = list(merge_newest_first({"A": iter(a), "B": iter(b)}, MergeStats()))
    assert [o["orderId"] for o in merged] == ["30", "20", "10", "5"]


def test_duplicates_within_and_across_files_are_dropped_and_counted() -> None:
    twin = spot_order("BTCUSDT", 77, 5000)
    a = [spot_order("BTCUSDT", 90, 6000), twin, dict(twin)]
    b = [dict(twin), spot_order("ETHUSDT", 11, 4000)]
    stats = MergeStats()
    merged = list(merge_newest_first({"A": iter(a), "B": iter(b)}, stats))
    assert [o["orderId"] for o in merged] == ["90", "77", "11"]
    assert stats.duplicates_dropped == 2
    assert stats.orders == 3


def test_same_order_id_in_different_streams_is_not_a_duplicate() -> None:
    a = [spot_order("BTCUSDT", 77, 5000, stream="spot_normal")]
    b = [spot_order("BTCUSDT", 77, 5000, stream="spot_tpsl")]
    stats = MergeStats()
    merged = list(merge_newest_first({"A": iter(a), "B": iter(b)}, stats))
    assert [o["stream"] for o in merged] == ["spot_tpsl", "spot_normal"]
    assert stats.duplicates_dropped == 0


def test_empty_and_no_sources() -> None:
    stats = MergeStats()
    assert list(merge_newest_first({"A": read_orders(_file([])), "B": iter([])}, stats)) == []
    assert list(merge_newest_first({}, stats)) == []
    assert stats.orders == 0


def test_unsorted_input_is_rejected_naming_the_source() -> None:
    rows = [spot_order("BTCUSDT", 1, 1000), spot_order("BTCUSDT", 2, 2000)]
    with pytest.raises(InvalidOrdersFileError, match="BTCUSDT: orders are not newest first"):
        list(merge_newest_first({"BTCUSDT": iter(rows)}, MergeStats()))


def test_order_without_ctime_is_rejected_naming_the_source() -> None:
    bad = spot_order("BTCUSDT", 1, 1000)
    del bad["cTime"]
    with pytest.raises(InvalidOrdersFileError, match="ETHUSDT: order without a valid cTime"):
        list(merge_newest_first({"ETHUSDT": iter([bad])}, MergeStats()))


def test_numbers_survive_reading_as_json_numbers() -> None:
    order = spot_order("BTCUSDT", 1, 1000) | {"extra": 1.5, "count": 3}
    (read,) = read_orders(_file([order]))
    assert json.loads(json.dumps(read)) == order


def test_read_size_shrinks_with_many_files_within_bounds() -> None:
    assert read_size_for(1) == MAX_READ_BYTES
    assert read_size_for(500) * 500 <= READ_BUDGET_BYTES
    assert read_size_for(100_000) == MIN_READ_BYTES


def test_small_read_size_parses_the_same_orders() -> None:
    orders = make_orders("BTCUSDT", 300)
    assert list(read_orders(_file(orders), read_size=MIN_READ_BYTES)) == orders
