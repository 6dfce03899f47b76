"""The streaming merge: global newest-first order, duplicates dropped, bad inputs named."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

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
from lambda_functions.common.exact_json import dumps_exact
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


def test_a_row_without_usable_ctime_or_order_id_is_set_aside_and_the_rest_merged() -> None:
    # GIVEN a file with a row missing cTime and one whose orderId is not a number, between good rows
    no_time = spot_order("ETHUSDT", 2, 1500)
    del no_time["cTime"]
    bad_id = spot_order("ETHUSDT", 3, 1200) | {"orderId": "12ab"}
    rows: list[Any] = [  # "not an object": a file row that is not a JSON object
        spot_order("ETHUSDT", 9, 2000),
        no_time,
        bad_id,
        "not an object",
        spot_order("ETHUSDT", 1, 1000),
    ]
    stats = MergeStats()
    # WHEN merged
    merged = list(merge_newest_first({"ETHUSDT": iter(rows)}, stats))
    # THEN the good rows are all there, the bad ones counted and kept with their reason, naming the symbol
    assert [o["orderId"] for o in merged] == ["9", "1"]
    assert stats.rejected == 3
    assert stats.read_by_source["ETHUSDT"] == 5  # rows in the file, compared with the worker's count
    assert [(r["symbol"], r["stream"], r["row"]) for r in stats.rejected_rows] == [
        ("ETHUSDT", "spot_normal", no_time),
        ("ETHUSDT", "spot_normal", bad_id),
        ("ETHUSDT", None, "not an object"),
    ]
    assert "KeyError" in stats.rejected_rows[0]["reason"]
    assert "ValueError" in stats.rejected_rows[1]["reason"]


def test_numbers_are_read_exactly_and_written_back_digit_for_digit() -> None:
    # GIVEN raw rows with JSON numbers a float cannot hold (tiny fees, 20 significant digits)
    text = (
        b'{"symbol":"X","execution":"e","orders":[{"orderId":"1","cTime":"1000","stream":"spot_normal",'
        b'"fee":-0.00000001,"tiny":1e-8,"precise":0.12345678901234567891,"count":3,"padded":"20.0000000000000000"}]}'
    )
    # WHEN read by the merge and encoded as the writer does
    (read,) = read_orders(io.BytesIO(text))
    encoded = dumps_exact(read)
    # THEN no value went through a float, and nothing is in scientific notation
    assert read["precise"] == Decimal("0.12345678901234567891")
    assert read["count"] == 3 and read["padded"] == "20.0000000000000000"
    assert '"fee":-0.00000001' in encoded and '"tiny":0.00000001' in encoded
    assert '"precise":0.12345678901234567891' in encoded
    assert "e-" not in encoded.lower()
    assert json.loads(encoded, parse_float=Decimal) == read


def test_read_size_shrinks_with_many_files_within_bounds() -> None:
    assert read_size_for(1) == MAX_READ_BYTES
    assert read_size_for(500) * 500 <= READ_BUDGET_BYTES
    assert read_size_for(100_000) == MIN_READ_BYTES


def test_small_read_size_parses_the_same_orders() -> None:
    orders = make_orders("BTCUSDT", 300)
    assert list(read_orders(_file(orders), read_size=MIN_READ_BYTES)) == orders
