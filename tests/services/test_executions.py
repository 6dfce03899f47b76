"""Executions: record, read, list newest first, update with the aggregator's response; logs; symbols."""

from __future__ import annotations

from app.services.database import Database


def _record(db: Database, n: int) -> dict:
    return db.executions.record_execution(
        execution_arn=f"arn:aws:states:us-east-2:1:execution:bitget-orders:e{n}",
        execution_name=f"e{n}",
        symbols=["BTCUSDT", "ETHUSDT"],
        start_ms=1,
        end_ms=2,
    )


def test_record_execution_is_running_and_idempotent(db: Database) -> None:
    first = _record(db, 1)
    again = _record(db, 1)
    assert first["status"] == "RUNNING"
    assert first["symbols"] == ["BTCUSDT", "ETHUSDT"]
    assert first["hydration_state"] == "pending"
    assert (first["start_ms"], first["end_ms"], first["total_symbols"]) == (1, 2, 2)
    assert again["id"] == first["id"]
    assert db.executions.list_executions(skip=0, limit=10)[0] == 1


def test_get_unknown_execution_is_none(db: Database) -> None:
    assert db.executions.get_execution("arn:nope") is None


def test_list_executions_newest_first_with_paging(db: Database) -> None:
    for n in range(5):
        _record(db, n)
    total, page = db.executions.list_executions(skip=1, limit=2)
    assert total == 5
    assert [e["execution_name"] for e in page] == ["e3", "e2"]


def test_update_execution_stores_result_and_totals(db: Database) -> None:
    arn = _record(db, 1)["execution_arn"]
    result = {
        "summary": {"total_orders": 1559, "total_symbols_processed": 2},
        "aws_total_duration_seconds": 115.092,
    }
    db.executions.update_execution(
        arn, status="SUCCEEDED", result=result, s3_uri="s3://b/k", public_url="http://x/k"
    )
    execution = db.executions.get_execution(arn)
    assert execution is not None
    assert execution["status"] == "SUCCEEDED"
    assert execution["result"] == result
    assert (execution["total_orders"], execution["total_symbols"]) == (1559, 2)
    assert execution["processing_time_seconds"] == 115.092
    assert (execution["s3_uri"], execution["public_url"]) == ("s3://b/k", "http://x/k")


def test_update_unknown_execution_creates_it(db: Database) -> None:
    db.executions.update_execution("arn:late", status="FAILED", error="States.Timeout")
    execution = db.executions.get_execution("arn:late")
    assert execution is not None
    assert (execution["status"], execution["error"]) == ("FAILED", "States.Timeout")


def test_add_log_writes_processing_logs(db: Database) -> None:
    db.executions.add_log("arn:x", "info", "hello", {"n": 1})
    assert db.executions.list_logs("arn:x") == [
        {
            "level": "INFO",
            "message": "hello",
            "details": {"n": 1},
            "created_at": db.executions.list_logs("arn:x")[0]["created_at"],
        }
    ]


def test_completeness_is_stored_from_the_result(db: Database) -> None:
    arn = _record(db, 1)["execution_arn"]
    record = db.executions.get_execution(arn)
    assert record is not None and record["complete"] is None  # running: unknown
    entry = {
        "symbol": "ETHUSDT",
        "stream": "USDT-FUTURES",
        "reason": "rate_limit",
        "error_code": "429",
        "error_message": "Too Many Requests",
    }
    summary = {
        "total_orders": 5,
        "complete": False,
        "incomplete_streams": [entry],
        "incomplete_streams_count": 7,
    }
    db.executions.update_execution(arn, status="SUCCEEDED", result={"success": False, "summary": summary})
    execution = db.executions.get_execution(arn)
    assert execution is not None
    assert (
        execution["complete"],
        execution["incomplete_streams"],
        execution["incomplete_streams_count"],
    ) == (
        False,
        [entry],
        7,
    )
    _, (listed,) = db.executions.list_executions(skip=0, limit=1)
    assert (listed["complete"], listed["incomplete_streams"]) == (False, [entry])


def test_an_older_result_shape_still_names_the_streams(db: Database) -> None:
    arn = _record(db, 1)["execution_arn"]
    old = {
        "complete": False,
        "incomplete_streams": {"count": 1, "streams": ["ETHUSDT/spot_normal"], "truncated": False},
    }
    db.executions.update_execution(arn, status="SUCCEEDED", result={"summary": old})
    execution = db.executions.get_execution(arn)
    assert execution is not None
    assert execution["incomplete_streams"] == [
        {
            "symbol": "ETHUSDT",
            "stream": "spot_normal",
            "reason": None,
            "error_code": None,
            "error_message": None,
        }
    ]
    assert (execution["complete"], execution["incomplete_streams_count"]) == (False, 1)


def test_a_failed_execution_is_not_complete(db: Database) -> None:
    arn = _record(db, 1)["execution_arn"]
    db.executions.update_execution(arn, status="FAILED", error="States.Timeout")
    execution = db.executions.get_execution(arn)
    assert execution is not None
    assert (execution["complete"], execution["incomplete_streams"]) == (False, [])
