"""Parsing in a child process: the same rows and the same failures as in-process, and no process left behind."""

from __future__ import annotations

import io
import multiprocessing.forkserver
import multiprocessing.resource_tracker
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine, update

from app.models.database import ExecutionResult
from app.models.order_rows import ORDER_COLUMNS, row_chunks
from app.services.database import Database
from app.services.hydration import parse_process
from app.services.hydration.parse_process import ParseStats, child_parsed_chunks
from tests.services.factories import document_bytes, file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:parse"
CREATED_AT = ORDER_COLUMNS.index("created_at")  # then updated_at: both set per run, compared apart


def stray_processes() -> set[int]:
    """Our descendants other than multiprocessing's long-lived fork server and resource tracker."""
    # typeshed leaves these private attributes of multiprocessing's singletons out
    keep = {
        multiprocessing.forkserver._forkserver._forkserver_pid,  # type: ignore[attr-defined]
        multiprocessing.resource_tracker._resource_tracker._pid,  # type: ignore[attr-defined]
    }
    return {p.pid for p in psutil.Process().children(recursive=True) if p.pid not in keep}


@pytest.fixture
def no_leftover_processes() -> object:
    before = stray_processes()
    yield None
    assert stray_processes() <= before


def test_the_child_builds_the_same_rows_as_in_process(no_leftover_processes: object) -> None:
    data = document_bytes(make_orders(2500))
    expected = list(row_chunks(io.BytesIO(data), ARN, 400))
    stats = ParseStats()
    with child_parsed_chunks(io.BytesIO(data[1000:]), data[:1000], ARN, 400, stats) as chunks:
        got = list(chunks)
    # same chunking, same values row for row (created_at is the time of each run, in the same format)
    assert [[row[:CREATED_AT] for row in chunk] for chunk in got] == [
        [row[:CREATED_AT] for row in chunk] for chunk in expected
    ]
    assert {len(row[CREATED_AT]) for chunk in got for row in chunk} == {len(expected[0][0][CREATED_AT])}
    assert stats.child_peak_rss_mb is not None and stats.child_peak_rss_mb > 0


@pytest.mark.parametrize(("case", "expected"), [("truncated", "IncompleteJSONError"), ("not_json", "Error")])
def test_a_malformed_document_fails_the_same_way_in_the_child(
    db: Database, tmp_path: Path, case: str, expected: str, no_leftover_processes: object
) -> None:
    data = document_bytes(make_orders(1200))
    data = {"truncated": data[: len(data) - 3000], "not_json": b"<html>busy</html>"}[case]
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    errors: dict[bool, str | None] = {}
    for in_subprocess in (True, False):
        db.hydration.parse_in_subprocess = in_subprocess
        state = db.hydration.hydrate(ARN, file_source(path), source="file")
        assert state.state == "failed"
        errors[in_subprocess] = state.error
    assert errors[True] == errors[False]
    error = errors[True]
    assert error is not None and expected in error
    logs = db.executions.list_logs(ARN)
    assert [log["message"] for log in logs][-2:] == ["hydration started", "hydration failed"]
    assert logs[-1]["details"]["error"] == errors[True]


def test_bad_records_are_skipped_and_counted_the_same_way_in_the_child(
    db: Database, engine: Engine, tmp_path: Path, no_leftover_processes: object
) -> None:
    orders = make_orders(1200)
    del orders[900]["cTime"]
    orders[901]["orderId"] = "x"
    path = tmp_path / "doc.json"
    path.write_bytes(document_bytes(orders))
    outcomes = {}
    for in_subprocess in (True, False):
        db.hydration.parse_in_subprocess = in_subprocess
        db.hydration.hydrate(ARN, file_source(path), source="file")
        with engine.begin() as connection:  # hydrate again from scratch
            connection.execute(update(ExecutionResult).values(hydration_state="failed"))
        outcomes[in_subprocess] = db.executions.list_logs(ARN)[-2]
    assert outcomes[True]["details"] == outcomes[False]["details"]
    assert outcomes[True]["message"] == "hydration rows rejected"
    assert outcomes[True]["details"]["rows_rejected"] == 2
    assert [s["order_id"] for s in outcomes[True]["details"]["samples"]] == [orders[900]["orderId"], "x"]


def test_leaving_early_stops_the_child(no_leftover_processes: object) -> None:
    """The caller's own failure (a lost claim, a database error) mid-document: the child is terminated."""
    data = document_bytes(make_orders(3000))

    def insert_then_lose_the_claim() -> None:
        with child_parsed_chunks(io.BytesIO(data), b"", ARN, 100, ParseStats()) as chunks:
            next(chunks)
            raise RuntimeError("claim lost")

    with pytest.raises(RuntimeError, match="claim lost"):
        insert_then_lose_the_claim()


def test_hydration_through_the_child_stores_every_order_and_says_so(
    db: Database, tmp_path: Path, no_leftover_processes: object
) -> None:
    orders = make_orders(1500)
    document = write_document(tmp_path / "doc.json", orders)
    db.hydration.parse_in_subprocess = True
    state = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (state.state, state.orders_saved) == ("saved", len(orders))
    finished = db.executions.list_logs(ARN)[-1]["details"]
    assert finished["parser"] == "subprocess" and finished["parser_peak_rss_mb"] > 0


@pytest.mark.parametrize(("limit", "parser"), [(10**9, "in-process"), (10_000, "subprocess")])
def test_auto_parses_small_documents_in_process_and_large_ones_in_a_child(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, parser: str
) -> None:
    monkeypatch.setattr(parse_process, "SMALL_DOCUMENT_BYTES", limit)
    orders = make_orders(600)
    document = write_document(tmp_path / "doc.json", orders)
    assert db.hydration.parse_in_subprocess is None  # the default
    state = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (state.state, state.orders_saved) == ("saved", len(orders))
    assert db.executions.list_logs(ARN)[-1]["details"]["parser"] == parser
