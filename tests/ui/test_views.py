"""The page's view helpers: formatting, badges, bar and coverage geometry, the English outcome sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from app.schemas.progress import SymbolProgress
from app.services.execution_progress import ExecutionProgress
from app.ui import views
from app.ui.pages import outcome_message

NOW = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.UTC)


def test_times_and_durations_read_as_a_person_writes_them() -> None:
    assert views.fmt_ms(1795939200000) == "2026-11-29 08:00 UTC"
    assert views.fmt_ms(None) == views.fmt_ms(True) == ""
    assert views.fmt_time("2026-11-29T08:33:58.641729Z") == "2026-11-29 08:33:58 UTC"
    assert views.fmt_time("not a time") == ""
    assert [views.fmt_duration(s) for s in (4.46, 125, 3 * 3600 + 125)] == [
        "4.5 s",
        "2 min 05 s",
        "3 h 02 min",
    ]
    assert views.fmt_duration(None) == views.fmt_duration(-1) == ""
    assert views.fmt_count(1234567) == "1,234,567" and views.fmt_count(None) == "–"


@pytest.mark.parametrize(
    ("status", "complete", "label", "css"),
    [
        ("RUNNING", None, "running", "run"),
        ("SUCCEEDED", True, "complete", "ok"),
        ("SUCCEEDED", False, "incomplete", "warn"),
        ("SUCCEEDED", None, "succeeded", "muted"),
        ("ABORTED", False, "cancelled", "warn"),
        ("FAILED", False, "failed", "bad"),
        ("TIMED_OUT", None, "timed out", "bad"),
    ],
)
def test_badges(status: str, complete: bool | None, label: str, css: str) -> None:
    badge = views.badge(status, complete)
    assert (badge.label, badge.css) == (label, css) and badge.title


def test_an_execution_row_from_a_list_item() -> None:
    row = views.execution_row(
        {
            "execution_arn": "arn:aws:states:us-east-2:1:execution:m:NAME",
            "execution_name": "NAME",
            "status": "SUCCEEDED",
            "complete": False,
            "incomplete_streams_count": 2,
            "symbols": [f"S{i}USDT" for i in range(8)],
            "start_ms": 1788000000000,
            "end_ms": 1795939200000,
            "total_orders": 3368,
            "created_at": "2026-11-29T07:00:00Z",
            "updated_at": "2026-11-29T07:00:05Z",
            "result": {"aws_total_duration_seconds": 4.457},
            "account_id": "1187837411",
        },
        NOW,
    )
    assert (row.name, row.badge.label, row.incomplete, row.orders) == ("NAME", "incomplete", 2, "3,368")
    assert row.symbols == "S0USDT, S1USDT, S2USDT, S3USDT, S4USDT, S5USDT and 2 more"
    assert row.window == "2026-08-29 10:40 UTC → 2026-11-29 08:00 UTC"
    assert (row.duration, row.account_id, row.created) == ("4.5 s", "1187837411", "2026-11-29 07:00:00 UTC")


def test_a_running_row_lasts_until_now_and_the_account_units_read_whole_account() -> None:
    row = views.execution_row(
        {"execution_arn": "a:b", "status": "RUNNING", "symbols": ["ALL_SPOT", "ALL_FUTURES"],
         "created_at": "2026-11-29T07:58:00Z", "account_id": "unknown"},
        NOW,
    )  # fmt: skip
    assert (row.symbols, row.duration, row.account_id, row.orders) == (
        "whole account",
        "2 min 00 s",
        None,
        "–",
    )


def test_timing_bars_scale_each_metric_to_its_own_largest() -> None:
    progress = ExecutionProgress(
        [
            SymbolProgress("BTCUSDT", finished=True, requests=40, http_429=0, duration_s=2.0),
            SymbolProgress("ETHUSDT", finished=False, requests=10, http_429=3, duration_s=None),
        ],
        2,
    )
    btc, eth = views.timing_rows(progress)
    assert (btc.fetch.percent, btc.requests.percent, btc.http_429.percent) == (100.0, 100.0, 0.0)
    assert (eth.fetch.percent, eth.fetch.label, eth.requests.percent, eth.http_429.percent) == (
        0.0, "running", 25.0, 100.0,
    )  # fmt: skip
    assert views.bars([0.0], ["0"])[0].percent == 0.0  # nothing to scale by


def test_coverage_geometry_clamps_to_the_axis_and_keeps_short_ranges_visible() -> None:
    axis = views.TimeAxis(1_000, 2_000)
    assert axis.segment("covered", 1_250, 1_500, "") == views.Segment("covered", 25.0, 25.0, "")
    assert axis.segment("covered", 0, 5_000, "").width == 100.0  # clamped both sides
    tiny = axis.segment("gap-now", 1_999, 2_000, "")
    assert tiny.width >= 0.1 and tiny.left + tiny.width <= 100.0
    assert [label for _, label in views.TimeAxis(0, 86_400_000 * 5).ticks(6)][:2] == [
        "1970-01-01",
        "1970-01-02",
    ]
    segments = views.coverage_segments(
        axis,
        [{"start_ms": 1_000, "end_ms": 1_400}],
        [
            {
                "start_ms": 1_400,
                "end_ms": 1_500,
                "recoverable": False,
                "note": "older than Bitget's retention",
            },
            {"start_ms": 1_500, "end_ms": 1_900, "recoverable": True, "until_now": False, "note": "n"},
            {"start_ms": 1_900, "end_ms": 2_000, "recoverable": True, "until_now": True, "note": "n"},
        ],
    )
    assert [s.kind for s in segments] == ["covered", "gap-lost", "gap-recoverable", "gap-now"]
    assert "lost gap" in segments[1].title and "retention" in segments[1].title


def test_the_axis_starts_at_the_oldest_range_or_the_retention_edge() -> None:
    summary = {
        "now_ms": 10_000,
        "retention_edge_ms": 5_000,
        "streams": [{"covered": [{"start_ms": 3_000, "end_ms": 4_000}], "gaps": [],
                     "symbols": [{"covered": [], "gaps": [{"start_ms": 2_500, "end_ms": 3_000}]}]}],
    }  # fmt: skip
    assert views.coverage_axis(summary) == views.TimeAxis(2_500, 10_000)
    assert (
        views.coverage_axis({"now_ms": 10_000, "retention_edge_ms": 5_000, "streams": []}).start_ms == 5_000
    )


def test_the_outcome_is_said_in_english_whatever_the_api_message() -> None:
    spanish = {"message": "Órdenes procesadas exitosamente"}
    assert (
        outcome_message("SUCCEEDED", True, spanish)
        == "Complete: every stream of every symbol was paged to its end."
    )
    incomplete = {
        "message": "Extraction incomplete: 1 stream of 1 symbol could not be paged to the end (...)"
    }
    assert outcome_message("SUCCEEDED", False, incomplete) == incomplete["message"]
    for status, result, opening in [
        ("SUCCEEDED", spanish, "Some streams could not be paged"),
        ("FAILED", {}, "The execution did not finish"),
        ("ABORTED", spanish, "Cancelled on request"),
    ]:
        message = outcome_message(status, False, result)
        assert message is not None and message.startswith(opening), status
    assert outcome_message("RUNNING", None, {}) is None
