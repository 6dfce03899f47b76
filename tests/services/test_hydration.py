"""Hydration: the DB ends up holding exactly the document's orders, once, whatever the callers do."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app.models.database import Order
from app.services.database_service import DatabaseService
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


def stored_orders(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        return [
            json.loads(raw) for raw in connection.scalars(select(Order.raw).where(Order.execution_arn == ARN))
        ]


def key(order: dict) -> tuple[str, str]:
    return order["stream"], order["orderId"]


def test_hydration_stores_exactly_the_documents_orders(
    service: DatabaseService, engine: Engine, document: Path, orders: list[dict]
) -> None:
    state = service.hydrate(ARN, file_source(document), source="file:///result.json")
    assert (state.state, state.orders_saved, state.error) == ("saved", ORDER_COUNT, None)
    assert state.duration_s is not None and state.duration_s >= 0
    stored = stored_orders(engine)
    assert sorted(stored, key=key) == sorted(orders, key=key)  # every raw field kept, nothing more or less


def test_columns_are_mapped_for_spot_futures_and_plan_orders(
    service: DatabaseService, engine: Engine, document: Path
) -> None:
    service.hydrate(ARN, file_source(document), source="file")
    with engine.connect() as connection:
        rows = {r.stream: r for r in connection.execute(select(Order).where(Order.execution_arn == ARN))}
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


def test_second_hydration_adds_nothing(service: DatabaseService, engine: Engine, document: Path) -> None:
    service.hydrate(ARN, file_source(document), source="file")
    again = service.hydrate(ARN, file_source(document), source="file")
    assert (again.state, again.orders_saved) == ("saved", ORDER_COUNT)
    assert service.count_orders(ARN) == ORDER_COUNT
    assert [log["message"] for log in service.list_logs(ARN)] == ["hydration started", "hydration finished"]


def test_ten_concurrent_callers_store_one_copy(
    service: DatabaseService, engine: Engine, document: Path
) -> None:
    barrier = threading.Barrier(10)
    states = []

    def call() -> None:
        barrier.wait()
        states.append(service.hydrate(ARN, file_source(document), source="file"))

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
        distinct = connection.scalar(select(func.count(func.distinct(Order.order_id + Order.stream))))
    assert service.count_orders(ARN) == distinct == ORDER_COUNT
    assert [log["message"] for log in service.list_logs(ARN)].count("hydration started") == 1


def test_background_callers_see_saving_then_saved(service: DatabaseService, document: Path) -> None:
    states = [
        service.hydrate_in_background(ARN, file_source(document), source="file", wait_s=0) for _ in range(3)
    ]
    assert {s.state for s in states} <= {"saving", "saved"}
    service.join_background(timeout_s=120)
    final = service.hydration_state(ARN)
    assert (final.state, final.orders_saved) == ("saved", ORDER_COUNT)
    assert service.count_orders(ARN) == ORDER_COUNT


@pytest.mark.parametrize("parse_in_subprocess", [True, False, None])
def test_failure_halfway_is_logged_and_a_retry_completes(
    service: DatabaseService, orders: list[dict], document: Path, parse_in_subprocess: bool | None
) -> None:
    service.parse_in_subprocess = parse_in_subprocess
    data = document_bytes(orders)
    failed = service.hydrate(
        ARN, breaking_source(data, fail_after=len(data) // 2), source="https://x.test/doc?sig=1"
    )
    assert failed.state == "failed"
    assert (
        failed.error is not None and "ConnectionResetError" in failed.error
    )  # the read error, not the cut JSON
    assert "Signature" not in failed.error  # presigned query strings never stored
    if parse_in_subprocess is None:  # a small document is read whole first: the break comes before any insert
        assert service.count_orders(ARN) == 0
    else:
        assert 0 < service.count_orders(ARN) < ORDER_COUNT  # chunks before the break were committed
    logs = service.list_logs(ARN)
    assert [log["level"] for log in logs] == ["INFO", "ERROR"]
    assert logs[0]["details"]["source"] == "https://x.test/doc?…"

    retried = service.hydrate(ARN, file_source(document), source="file")
    assert (retried.state, retried.orders_saved, retried.error) == ("saved", ORDER_COUNT, None)
    assert service.count_orders(ARN) == ORDER_COUNT


def test_a_bad_order_record_fails_the_hydration_with_its_reason(
    service: DatabaseService, tmp_path: Path
) -> None:
    bad = make_orders(3)
    del bad[1]["cTime"]
    state = service.hydrate(ARN, file_source(write_document(tmp_path / "bad.json", bad)), source="file")
    assert state.state == "failed"
    assert state.error is not None and "missing cTime" in state.error


def test_stale_claim_is_taken_over_and_the_old_writer_stops(
    service: DatabaseService, engine: Engine, document: Path, orders: list[dict]
) -> None:
    from app.core.db import make_session_factory
    from app.models.database import utcnow
    from app.models.order_rows import order_row
    from app.services.database_service import HydrationClaimLostError

    old_token = service._claim(ARN, "file")  # a writer that then went silent
    assert old_token is not None
    assert service.hydrate(ARN, file_source(document), source="file").state == "saving"  # claim still fresh
    impatient = DatabaseService(make_session_factory(engine), stale_claim_s=0)
    assert impatient.hydrate(ARN, file_source(document), source="file").state == "saved"
    with pytest.raises(HydrationClaimLostError):
        service._insert_chunk(ARN, old_token, [order_row(orders[0], ARN, utcnow())], 0)
    assert service.count_orders(ARN) == ORDER_COUNT


def test_unknown_execution_is_pending(service: DatabaseService) -> None:
    state = service.hydration_state("arn:unknown")
    assert (state.state, state.orders_saved, state.started_at) == ("pending", 0, None)
