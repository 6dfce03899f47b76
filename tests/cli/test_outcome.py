"""bitget_orders/outcome.py: the exit code and the summary rows an execution's final status gives."""

from __future__ import annotations

from typing import Any

import pytest

from bitget_orders.outcome import StreamRow, collapse_by_stream, exit_code, headline, stream_rows

ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:20261129T083052Z-58db6508-25b05b"


def answer(status: str = "SUCCEEDED", *, complete: bool | None = True, **summary: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"complete": complete, **summary} if complete is not None else dict(summary)
    return {
        "executionArn": ARN,
        "status": status,
        "result": {"success": complete is not False, "summary": body},
        "database_info": {"state": "saved", "orders_in_db": 10},
    }


def coverage(symbol: str | None, stream: str, complete: bool = True) -> dict[str, Any]:
    return {"key": f"{stream}:{symbol}", "stream": stream, "symbol": symbol, "complete": complete}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (answer(), 0),
        (answer(complete=False), 2),
        (answer(complete=None), 0),  # older results: `success` decides
        ({"executionArn": ARN, "status": "RUNNING", "progress": {}}, 2),
        ({"executionArn": ARN, "status": "ABORTED", "result": {"success": False, "summary": {}}}, 2),
        ({"executionArn": ARN, "status": "FAILED", "cause": "boom"}, 2),
        ({"executionArn": ARN, "status": "TIMED_OUT"}, 2),
        (answer() | {"database_info": {"state": "failed", "orders_in_db": 0}}, 1),
    ],
)
def test_exit_codes(given: dict[str, Any], code: int) -> None:
    assert exit_code(given) == code


def test_rows_follow_coverage_and_say_why_a_stream_is_not_complete() -> None:
    summary = {
        "orders_by_stream": {"spot_normal": 30, "USDT-FUTURES": 7},
        "coverage": [
            coverage("BTCUSDT", "spot_normal"),
            coverage("BTCUSDT", "USDT-FUTURES", complete=False),
            coverage("ETHUSDT", "spot_normal"),
        ],
        "incomplete_streams": [
            {
                "symbol": "BTCUSDT",
                "stream": "USDT-FUTURES",
                "reason": "server_error",
                "error_code": "45001",
                "error_message": "Service Unavailable",
            },
            {
                "symbol": "DOGEUSDT",
                "stream": None,
                "reason": "worker_error",
                "error_message": "Sandbox.Timeout",
            },
        ],
    }
    assert stream_rows(summary) == [
        StreamRow("BTCUSDT", "spot_normal", None, True, ""),  # two symbols share the stream: counted later
        StreamRow("BTCUSDT", "USDT-FUTURES", 7, False, "server_error (Bitget 45001: Service Unavailable)"),
        StreamRow("ETHUSDT", "spot_normal", None, True, ""),
        StreamRow("DOGEUSDT", None, None, False, "worker_error (Sandbox.Timeout)"),  # a whole symbol failed
    ]


def test_account_wide_streams_take_their_counts_and_their_units_reasons() -> None:
    summary = {
        "orders_by_stream": {"spot_normal": 2317, "spot_plan": 45, "USDT-FUTURES": 1711},
        "coverage": [
            coverage(None, "spot_normal"),
            coverage("BTCUSDT", "spot_plan"),
            coverage("ETHUSDT", "spot_plan"),
            coverage(None, "USDT-FUTURES", complete=False),
        ],
        "incomplete_streams": [
            {"symbol": "ALL_FUTURES", "stream": "USDT-FUTURES", "reason": "rate_limit", "error_code": "429"}
        ],
    }
    rows = stream_rows(summary)
    assert rows[0] == StreamRow(None, "spot_normal", 2317, True, "")
    assert [row.orders for row in rows[1:3]] == [
        None,
        None,
    ]  # per-symbol spot plan: counted from the database
    assert rows[3] == StreamRow(None, "USDT-FUTURES", 1711, False, "rate_limit (429)")
    assert len(rows) == 4  # the unit's entry is not repeated as a row of its own


def test_a_coverage_row_marked_incomplete_without_an_entry_still_says_so() -> None:
    rows = stream_rows(
        {"coverage": [coverage("BTCUSDT", "spot_tpsl", complete=False)], "orders_by_stream": {}}
    )
    assert rows == [StreamRow("BTCUSDT", "spot_tpsl", 0, False, "not paged to its end")]


def test_results_without_coverage_fall_back_to_orders_by_stream() -> None:
    rows = stream_rows({"complete": True, "orders_by_stream": {"spot_tpsl": 3, "spot_normal": 5}})
    assert rows == [StreamRow(None, "spot_normal", 5, True, ""), StreamRow(None, "spot_tpsl", 3, True, "")]


def test_collapse_sums_each_stream_and_keeps_what_is_missing() -> None:
    rows = [
        StreamRow("A", "spot_normal", 2, True),
        StreamRow("B", "spot_normal", 3, False, "timeout"),
        StreamRow("A", "spot_tpsl", 1, True),
        StreamRow("B", "spot_tpsl", None, True),
    ]
    assert collapse_by_stream(rows) == [
        StreamRow(None, "spot_normal", 5, False, "timeout"),
        StreamRow(None, "spot_tpsl", None, True, ""),
    ]


def test_headlines_say_what_to_do_next() -> None:
    name = ARN.rsplit(":", 1)[1]
    assert headline(answer(total_orders=3598)) == "complete: 3,598 orders, every stream paged to its end"
    incomplete = headline(answer(complete=False, total_orders=5, incomplete_streams_count=2))
    assert incomplete.startswith("INCOMPLETE: 2 stream(s)") and incomplete.endswith(
        f"bitget-orders resume {name}"
    )
    failed = headline({"executionArn": ARN, "status": "FAILED", "cause": "Lambda.Unknown"})
    assert failed == f"FAILED: Lambda.Unknown. Go on from the checkpoints: bitget-orders resume {name}"
    assert f"bitget-orders status {name} --wait" in headline({"executionArn": ARN, "status": "RUNNING"})


def test_fill_streams_count_fills_and_the_verdict_names_both() -> None:
    summary = {
        "complete": True,
        "total_orders": 2417,
        "total_fills": 4813,
        "orders_by_stream": {"spot_normal": 2317, "spot_tpsl": 100},
        "fills_by_stream": {"spot_fills": 4813},
        "coverage": [
            coverage(None, "spot_normal"),
            coverage("BTCUSDT", "spot_fills"),
            coverage("ETHUSDT", "spot_fills"),
        ],
    }
    rows = stream_rows(summary)
    assert rows[0].orders == 2317 and [row.orders for row in rows[1:]] == [
        None,
        None,
    ]  # two symbols: counted later
    only_one = summary | {"coverage": [coverage(None, "spot_fills")]}
    assert stream_rows(only_one) == [StreamRow(None, "spot_fills", 4813, True, "")]
    verdict = headline(
        {"executionArn": ARN, "status": "SUCCEEDED", "result": {"success": True, "summary": summary}}
    )
    assert verdict == "complete: 2,417 orders and 4,813 fills, every stream paged to its end"


def test_executions_that_read_no_fills_do_not_mention_them() -> None:
    summary = {"complete": True, "total_orders": 3598, "total_fills": 0, "fills_by_stream": {}}
    verdict = headline(
        {"executionArn": ARN, "status": "SUCCEEDED", "result": {"success": True, "summary": summary}}
    )
    assert verdict == "complete: 3,598 orders, every stream paged to its end"


def test_an_account_units_per_symbol_stream_entries_land_on_their_rows() -> None:
    summary = {
        "orders_by_stream": {"spot_plan": 0},
        "coverage": [
            coverage("BTCUSDT", "spot_plan", complete=False),
            coverage("ETHUSDT", "spot_plan", complete=False),
        ],
        "incomplete_streams": [
            {"symbol": "ALL_SPOT", "stream": "spot_plan:BTCUSDT", "reason": "cancelled"},
            {"symbol": "ALL_SPOT", "stream": "spot_plan:ETHUSDT", "reason": "timeout"},
        ],
    }
    assert [(row.symbol, row.why) for row in stream_rows(summary)] == [
        ("BTCUSDT", "cancelled"),
        ("ETHUSDT", "timeout"),
    ]
