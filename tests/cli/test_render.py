"""bitget_orders/render.py: what a person reads (rendered to text, as off a terminal)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from bitget_orders import render
from bitget_orders.outcome import StreamRow

ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:20261129T083052Z-58db6508-25b05b"


def text(renderable: Any = None, *, width: int = 160, call: Any = None) -> str:
    console = Console(record=True, width=width, file=open("/dev/null", "w"))  # noqa: SIM115
    if call is not None:
        call(console)
    else:
        console.print(renderable)
    output = console.export_text()
    console.file.close()
    return output


def test_the_start_shows_the_window_actually_used_and_why_it_was_clamped() -> None:
    started = {
        "executionArn": ARN,
        "symbols": ["BTCUSDT"],
        "start_ms": 1788165052020,
        "end_ms": 1795941052020,
        "window_clamped": True,
        "window_note": "end_ms 1795941999999 is in the future: clamped to now (1795941052020).",
        "include_plan_orders": False,
        "account_id": "1187837411",
        "account_check": "ok",
    }
    shown = text(call=lambda console: render.started(console, started))
    assert f"started {ARN}" in shown
    assert "window:  2026-08-31T08:30:52Z → 2026-11-29T08:30:52Z (90.0 days) [start_ms 1788165052020" in shown
    assert "note:    end_ms 1795941999999 is in the future" in shown
    assert "options: plan orders no, account 1187837411 (ok)" in shown


def test_the_summary_table_has_a_row_per_symbol_and_stream_with_the_reason() -> None:
    rows = [
        StreamRow("BTCUSDT", "spot_normal", 1166, True),
        StreamRow("BTCUSDT", "USDT-FUTURES", 0, False, "server_error (Bitget 45001: Service Unavailable)"),
        StreamRow(None, "spot_tpsl", 90, True),
    ]
    table = text(render.stream_table(rows, {"total_orders": 1256}, collapsed=False))
    assert "│ BTCUSDT   │ spot_normal  │  1,166 │ yes" in table
    assert (
        "│ BTCUSDT   │ USDT-FUTURES │      0 │ NO: server_error (Bitget 45001: Service Unavailable)" in table
    )
    assert "│ (account) │ spot_tpsl    │     90 │ yes" in table
    assert "│ total     │              │  1,256 │" in table


def test_the_outcome_ends_with_the_verdict_and_where_the_orders_are() -> None:
    answer = {
        "executionArn": ARN,
        "status": "SUCCEEDED",
        "result": {
            "success": True,
            "summary": {
                "complete": True,
                "total_orders": 12,
                "performance_metrics": {"requests": 40, "retries": 1, "http_429": 0},
                "symbols_not_found": ["FOOUSDT"],
            },
        },
        "aws_execution_details": {"duration_seconds": 2.0},
        "database_info": {"state": "saved", "orders_in_db": 12},
    }
    shown = text(call=lambda console: render.outcome(console, answer, [], collapsed=False))
    assert "requests: 40 (20.0/s), retries 1, HTTP 429 0; took 2.0s" in shown
    assert "not found on Bitget (check the names): FOOUSDT" in shown
    assert (
        "read them: bitget-orders orders 20261129T083052Z-58db6508-25b05b --format csv > orders.csv" in shown
    )
    assert shown.rstrip().endswith("complete: 12 orders, every stream paged to its end")


def test_executions_show_their_names_whole() -> None:
    listed = {
        "total_executions": 1,
        "executions": [
            {
                "execution_arn": ARN,
                "symbols": ["A1", "B2", "C3", "D4", "E5"],
                "status": "SUCCEEDED",
                "total_orders": 3598,
                "created_at": "2026-11-29T08:30:52.056688Z",
                "complete": False,
                "incomplete_streams_count": 2,
            }
        ],
    }
    assert "20261129T083052Z-58db6508-25b05b" in text(render.executions_table(listed), width=90)
    table = text(render.executions_table(listed))
    assert "A1, B2, C3, D4 +1" in table and "3,598" in table and "NO (2 stream(s))" in table


def test_record_tables_never_elide_a_digit_on_a_narrow_screen() -> None:
    record = {
        "c_time": 1795940043877,
        "symbol": "ETHUSDT",
        "stream": "USDT-FUTURES",
        "fee": "-0.57601797",
        "order_id": "1795940043877008001",
    }
    table = text(render.records_table([record], "Orders"), width=60)
    assert "…" not in table
    cells = [line.split("│")[1:-1] for line in table.splitlines() if line.startswith("│")]
    columns = ["".join(cell.strip() for cell in column) for column in zip(*cells, strict=True)]
    assert columns == [
        "2026-11-29T08:14:03Z",
        "ETHUSDT",
        "USDT-FUTURES",
        "-0.57601797",
        "1795940043877008001",
    ]


def test_with_fill_streams_the_table_counts_orders_and_fills() -> None:
    rows = [StreamRow(None, "spot_normal", 2317, True), StreamRow("BTCUSDT", "spot_fills", 4000, True)]
    table = text(render.stream_table(rows, {"total_orders": 2317, "total_fills": 4000}, collapsed=False))
    assert "Orders and fills by symbol and stream" in table and "orders/fills" in table
    assert "│ total     │ orders      │        2,317 │" in table
    assert "│ total     │ fills       │        4,000 │" in table


def test_a_running_status_reads_like_the_progress_line() -> None:
    answer = {"executionArn": ARN, "status": "RUNNING", "processing_time_seconds": 4.0}
    answer["progress"] = {"symbols_done": 1, "symbols_total": 4}
    shown = text(call=lambda console: render.running(console, answer))
    assert shown.strip() == f"{ARN}: [   4.0s] RUNNING · symbols 1/4 · ETA 12.0s"
