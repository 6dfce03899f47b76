"""Hydration: the ledger ends up holding exactly the document's orders, once, and the execution linked to each,
whatever the callers do."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from app.models.database import ExecutionOrder, ExecutionResult, LedgerOrder
from app.services.database import Database, open_database
from app.services.hydration.fenced_writes import HydrationClaimLostError, LoadTarget, write_chunk
from lambda_functions.common.logs import CorrelationFilter
from tests.services.factories import (
    breaking_source,
    document_bytes,
    file_source,
    make_orders,
    write_document,
)

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:hydrate"
ORDER_COUNT = 3000


@pytest.fixture(scope="module")
def orders() -> list[dict]:
    return make_orders(ORDER_COUNT)


@pytest.fixture
def document(tmp_path: Path, orders: list[dict]) -> Path:
    return write_document(tmp_path / "result.json", orders)


def linked_rows(engine: Engine, arn: str = ARN) -> list:
    """The ledger rows the execution links to."""
    execution_id = select(ExecutionResult.id).where(ExecutionResult.execution_arn == arn).scalar_subquery()
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(LedgerOrder)
                .join(ExecutionOrder, ExecutionOrder.order_pk == LedgerOrder.id)
                .where(ExecutionOrder.execution_id == execution_id)
            )
        )


def stored_orders(engine: Engine) -> list[dict]:
    return [json.loads(row.raw) for row in linked_rows(engine)]


def count_orders(db: Database, arn: str = ARN) -> int:
    return db.orders.count_orders(arn)


def key(order: dict) -> tuple[str, str]:
    return order["stream"], order["orderId"]


def test_hydration_stores_exactly_the_documents_orders(
    db: Database, engine: Engine, document: Path, orders: list[dict]
) -> None:
    state = db.hydration.hydrate(ARN, file_source(document), source="file:///result.json")
    assert (state.state, state.orders_saved, state.error) == ("saved", ORDER_COUNT, None)
    assert state.duration_s is not None and state.duration_s >= 0
    stored = stored_orders(engine)
    assert sorted(stored, key=key) == sorted(orders, key=key)  # every raw field kept, nothing more or less


def test_columns_are_mapped_for_spot_futures_and_plan_orders(
    db: Database, engine: Engine, document: Path
) -> None:
    db.hydration.hydrate(ARN, file_source(document), source="file")
    rows = {r.stream: r for r in linked_rows(engine)}
    spot, futures, plan = rows["spot_normal"], rows["USDT-FUTURES"], rows["USDT-FUTURES_plan"]
    assert (spot.market, spot.product_type, spot.fee, spot.status) == ("spot", None, "-0.0001", "filled")
    assert (futures.market, futures.product_type, futures.fee) == ("futures", "USDT-FUTURES", "-0.004335")
    assert (futures.leverage, futures.margin_mode, futures.pos_side, futures.trade_side) == (
        "20",
        "crossed",
        "long",
        "open",
    )
    assert (plan.product_type, plan.status) == ("USDT-FUTURES", "executed")
    assert spot.order_id_num == int(spot.order_id) and spot.c_time == int(json.loads(spot.raw)["cTime"])


def test_second_hydration_adds_nothing(db: Database, engine: Engine, document: Path) -> None:
    db.hydration.hydrate(ARN, file_source(document), source="file")
    again = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (again.state, again.orders_saved) == ("saved", ORDER_COUNT)
    assert count_orders(db) == ORDER_COUNT
    assert [log["message"] for log in db.executions.list_logs(ARN)] == [
        "hydration started",
        "hydration finished",
    ]


def test_ten_concurrent_callers_store_one_copy(db: Database, engine: Engine, document: Path) -> None:
    barrier = threading.Barrier(10)
    states = []

    def call() -> None:
        barrier.wait()
        states.append(db.hydration.hydrate(ARN, file_source(document), source="file"))

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(states) == 10
    assert {s.state for s in states} <= {"saved", "saving"}
    assert sum(1 for s in states if s.state == "saved" and s.orders_saved == ORDER_COUNT) >= 1
    assert all(0 <= s.orders_saved <= ORDER_COUNT for s in states)
    with engine.connect() as connection:
        distinct = connection.scalar(select(func.count()).select_from(LedgerOrder))
    assert count_orders(db) == distinct == ORDER_COUNT
    assert [log["message"] for log in db.executions.list_logs(ARN)].count("hydration started") == 1


def test_background_callers_see_saving_then_saved(db: Database, document: Path) -> None:
    states = [
        db.hydration.hydrate_in_background(ARN, file_source(document), source="file", wait_s=0)
        for _ in range(3)
    ]
    assert {s.state for s in states} <= {"saving", "saved"}
    db.hydration.join_background(timeout_s=120)
    final = db.hydration.hydration_state(ARN)
    assert (final.state, final.orders_saved) == ("saved", ORDER_COUNT)
    assert count_orders(db) == ORDER_COUNT


@pytest.mark.parametrize("parse_in_subprocess", [True, False, None])
def test_failure_halfway_is_logged_and_a_retry_completes(
    db: Database, orders: list[dict], document: Path, parse_in_subprocess: bool | None
) -> None:
    db.hydration.parse_in_subprocess = parse_in_subprocess
    data = document_bytes(orders)
    failed = db.hydration.hydrate(
        ARN, breaking_source(data, fail_after=len(data) // 2), source="https://x.test/doc?sig=1"
    )
    assert failed.state == "failed"
    assert (
        failed.error is not None and "ConnectionResetError" in failed.error
    )  # the read error, not the cut JSON
    assert "Signature" not in failed.error  # presigned query strings never stored
    if parse_in_subprocess is None:  # a small document is read whole first: the break comes before any insert
        assert count_orders(db) == 0
    else:
        assert 0 < count_orders(db) < ORDER_COUNT  # chunks before the break were committed
    logs = db.executions.list_logs(ARN)
    assert [log["level"] for log in logs] == ["INFO", "ERROR"]
    assert logs[0]["details"]["source"] == "https://x.test/doc?…"

    retried = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (retried.state, retried.orders_saved, retried.error) == ("saved", ORDER_COUNT, None)
    assert count_orders(db) == ORDER_COUNT


def _malformed(orders: list[dict]) -> list[dict]:
    """Six unusable records spread through `orders` (a copy), each with its own defect."""
    bad: list[Any] = [dict(o) for o in orders]  # one row below is not even an object
    del bad[10]["cTime"]
    bad[500]["orderId"] = "12ab"
    bad[1000]["cTime"] = "1.7e12"
    bad[1500]["symbol"] = "X" * 60  # longer than the column: MySQL would refuse the whole chunk
    bad[2000]["orderId"] = str(2**64)  # beyond BIGINT
    bad[2500] = "not an object"
    return bad


@pytest.mark.parametrize("parse_in_subprocess", [True, False, None])
def test_malformed_records_are_skipped_counted_and_logged_the_rest_stored(
    db: Database,
    engine: Engine,
    tmp_path: Path,
    orders: list[dict],
    parse_in_subprocess: bool | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN a document with six unusable records in the middle of 3000
    db.hydration.parse_in_subprocess = parse_in_subprocess
    bad = _malformed(orders)
    document = write_document(tmp_path / "bad.json", bad)
    # WHEN it is hydrated (its lines stamped with the bound fields, as the JSON handler stamps them)
    caplog.handler.addFilter(CorrelationFilter())
    with caplog.at_level("WARNING", logger="app.services.hydration"):
        state = db.hydration.hydrate(ARN, file_source(document), source="file")
    # THEN every other order is stored, the six are counted, and each is logged with its reason
    assert (state.state, state.error, state.rows_rejected) == ("saved", None, 6)
    assert state.orders_saved == count_orders(db) == ORDER_COUNT - 6
    good = [o for i, o in enumerate(bad) if i not in (10, 500, 1000, 1500, 2000, 2500)]
    assert sorted(stored_orders(engine), key=key) == sorted(good, key=key)
    logs = db.executions.list_logs(ARN)
    assert [log["message"] for log in logs] == [
        "hydration started",
        "hydration rows rejected",
        "hydration finished",
    ]
    rejected = logs[1]
    assert rejected["level"] == "WARNING" and rejected["details"]["rows_rejected"] == 6
    reasons = [sample["reason"] for sample in rejected["details"]["samples"]]
    assert any("missing cTime" in r for r in reasons) and any(
        "orderId is not an integer" in r for r in reasons
    )
    assert any("symbol longer than 50" in r for r in reasons) and any("not an object" in r for r in reasons)
    assert {sample["stream"] for sample in rejected["details"]["samples"]} >= {bad[10]["stream"]}
    assert logs[2]["details"]["rows_rejected"] == 6
    warnings = [r for r in caplog.records if r.getMessage() == "hydration skipped an order record"]
    assert len(warnings) == 6
    assert {r.execution for r in warnings} == {"hydrate"}  # type: ignore[attr-defined]
    assert warnings[0].symbol == bad[10]["symbol"] and warnings[0].stream == bad[10]["stream"]  # type: ignore[attr-defined]


def test_a_retry_after_rejections_starts_the_count_again(
    db: Database, engine: Engine, tmp_path: Path, orders: list[dict]
) -> None:
    document = write_document(tmp_path / "bad.json", _malformed(orders))
    assert db.hydration.hydrate(ARN, file_source(document), source="file").rows_rejected == 6
    with engine.begin() as connection:  # as if the first load had failed
        connection.execute(update(ExecutionResult).values(hydration_state="failed"))
    document.write_bytes(document_bytes(orders))
    again = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (again.state, again.orders_saved, again.rows_rejected) == ("saved", ORDER_COUNT, 0)


def test_stale_claim_is_taken_over_and_the_old_writer_stops(
    db: Database, engine: Engine, document: Path, orders: list[dict]
) -> None:
    from app.core.db import make_session_factory
    from app.models.database import utcnow
    from app.models.order_rows import order_row

    old_token = db.hydration.claims.take(ARN, "file")  # a writer that then went silent
    assert old_token is not None
    assert (
        db.hydration.hydrate(ARN, file_source(document), source="file").state == "saving"
    )  # claim still fresh
    impatient = open_database(make_session_factory(engine), stale_claim_s=0)
    assert impatient.hydration.hydrate(ARN, file_source(document), source="file").state == "saved"
    record = db.executions.get_execution(ARN)
    assert record is not None
    execution_id = record["id"]
    target = LoadTarget(ARN, execution_id, "unknown", [])
    with pytest.raises(HydrationClaimLostError):
        write_chunk(engine, target, old_token, [order_row(orders[0], "unknown", utcnow())], 0)
    assert count_orders(db) == ORDER_COUNT


def test_unknown_execution_is_pending(db: Database) -> None:
    state = db.hydration.hydration_state("arn:unknown")
    assert (state.state, state.orders_saved, state.started_at) == ("pending", 0, None)
