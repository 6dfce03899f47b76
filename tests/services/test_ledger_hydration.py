"""Hydration into the ledger: executions of one account that see the same orders store them once (the newest
copy), each execution keeps its own links and count, and a successful load records what it covered."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from app.models.database import AccountCoverage, ExecutionOrder, ExecutionResult, LedgerOrder
from app.services import execution_removal
from app.services.database import Database
from app.services.ledger_writes.accounts import account_of_result, execution_account
from app.services.ledger_writes.coverage import CoverageEntry, complete_coverage
from tests.services.factories import breaking_source, document_bytes, file_source, make_orders, write_document

ACCOUNT = "1187837411"
FIRST = "arn:aws:states:us-east-2:1:execution:bitget-orders:first"
SECOND = "arn:aws:states:us-east-2:1:execution:bitget-orders:second"
T0 = 1_700_000_000_000
COVERAGE: list[dict[str, Any]] = [
    {"key": "spot_normal", "stream": "spot_normal", "symbol": None, "start_ms": T0, "end_ms": T0 + 10, "complete": True},
    {"key": "spot_plan:BTCUSDT", "stream": "spot_plan", "symbol": "BTCUSDT", "start_ms": T0, "end_ms": T0 + 20,
     "complete": True},
    {"key": "USDT-FUTURES", "stream": "USDT-FUTURES", "symbol": None, "start_ms": T0, "end_ms": T0 + 30,
     "complete": False},
]  # fmt: skip


def _record(db: Database, arn: str, result: dict[str, Any] | None) -> None:
    db.executions.record_execution(
        execution_arn=arn, execution_name=arn.rsplit(":", 1)[1], symbols=[], start_ms=1, end_ms=2
    )
    if result is not None:
        db.executions.update_execution(arn, status="SUCCEEDED", result=result)


def _result(account: str | None = ACCOUNT, coverage: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    summary: dict[str, Any] = {"total_orders": 0}
    if coverage is not None:
        summary["coverage"] = coverage
    result: dict[str, Any] = {"success": True, "summary": summary}
    if account is not None:
        result["account_id"] = account
    return result


def _hydrate(db: Database, arn: str, path: Path, orders: list[dict[str, Any]]) -> None:
    write_document(path, orders)
    state = db.hydration.hydrate(arn, file_source(path), source="file")
    assert (state.state, state.error) == ("saved", None)


def _ledger(engine: Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(LedgerOrder.account_id, LedgerOrder.stream, LedgerOrder.raw)).all()
    return {(account, stream, json.loads(raw)["orderId"]): json.loads(raw) for account, stream, raw in rows}


def _links(engine: Engine, arn: str) -> int:
    execution_id = select(ExecutionResult.id).where(ExecutionResult.execution_arn == arn).scalar_subquery()
    with engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(ExecutionOrder)
            .where(ExecutionOrder.execution_id == execution_id)
        )
        return connection.scalar(query) or 0


def _coverage(engine: Engine) -> list[tuple[str, str, str, int, int, str]]:
    table = AccountCoverage
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                table.account_id,
                table.stream,
                table.symbol,
                table.start_ms,
                table.end_ms,
                table.execution_arn,
            )
        ).all()
    return sorted((account, stream, symbol, lo, hi, arn) for account, stream, symbol, lo, hi, arn in rows)


def _copy(order: dict[str, Any], u_time_shift: int, price: str) -> dict[str, Any]:
    return order | {"uTime": str(int(order["uTime"]) + u_time_shift), "price": price}


def test_two_executions_of_one_account_store_distinct_orders_the_newest_copy_winning(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    # GIVEN 4,500 orders: the first execution saw the first 3,000, the second the last 3,000, and of the 1,500
    # both saw, the second's copy is newer for even ones and older for odd ones
    orders = make_orders(4500)
    second = orders[1500:]
    for i in range(1500):
        second[i] = _copy(second[i], 1000 if i % 2 == 0 else -1000, "newer" if i % 2 == 0 else "older")
    _record(db, FIRST, _result())
    _record(db, SECOND, _result())
    # WHEN both are hydrated, in that order
    _hydrate(db, FIRST, tmp_path / "first.json", orders[:3000])
    _hydrate(db, SECOND, tmp_path / "second.json", second)
    # THEN the ledger holds each distinct order once, under the account
    ledger = _ledger(engine)
    assert len(ledger) == 4500
    assert {key[0] for key in ledger} == {ACCOUNT}
    # AND each execution keeps its own links and count
    assert _links(engine, FIRST) == _links(engine, SECOND) == 3000
    assert (
        db.hydration.hydration_state(FIRST).orders_saved
        == db.hydration.hydration_state(SECOND).orders_saved
        == 3000
    )
    assert db.orders.count_orders(FIRST) == 3000
    # AND the newer copy replaced the stored one; an older one did not
    for i, order in enumerate(second[:1500]):
        stored = ledger[(ACCOUNT, order["stream"], order["orderId"])]
        expected = order if i % 2 == 0 else orders[1500 + i]
        assert stored == expected, i
    # AND the account is recorded on both executions
    record = db.executions.get_execution(FIRST)
    assert record is not None and record["account_id"] == ACCOUNT


def test_a_second_execution_seeing_the_same_orders_adds_links_only(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    orders = make_orders(1000)
    for arn in (FIRST, SECOND):
        _record(db, arn, _result())
        _hydrate(db, arn, tmp_path / "doc.json", orders)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(LedgerOrder)) == 1000
    assert _links(engine, FIRST) == _links(engine, SECOND) == 1000


def test_the_account_comes_from_the_result_then_the_record_then_is_unknown(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    orders = make_orders(10)
    _record(db, FIRST, _result(account=None))
    with engine.begin() as connection:  # known from the start of the execution, not from its result
        connection.execute(
            update(ExecutionResult).where(ExecutionResult.execution_arn == FIRST).values(account_id="42")
        )
    _hydrate(db, FIRST, tmp_path / "a.json", orders)
    _record(db, SECOND, None)  # no result, no account: filed under "unknown"
    _hydrate(db, SECOND, tmp_path / "b.json", orders)
    assert {key[0] for key in _ledger(engine)} == {"42", "unknown"}
    assert len(_ledger(engine)) == 20  # the same orders of two accounts are two sets of rows
    record = db.executions.get_execution(SECOND)
    assert record is not None and record["account_id"] == "unknown"


def test_a_successful_load_records_the_complete_coverage_and_a_reload_replaces_it(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    _record(db, FIRST, _result(coverage=COVERAGE))
    _hydrate(db, FIRST, tmp_path / "a.json", make_orders(10))
    expected = [
        (ACCOUNT, "spot_normal", "", T0, T0 + 10, FIRST),
        (ACCOUNT, "spot_plan", "BTCUSDT", T0, T0 + 20, FIRST),
    ]
    assert _coverage(engine) == expected  # the incomplete stream adds nothing
    with engine.begin() as connection:  # as if that load had failed: the next one loads again
        connection.execute(update(ExecutionResult).values(hydration_state="failed"))
    _hydrate(db, FIRST, tmp_path / "a.json", make_orders(10))
    assert _coverage(engine) == expected


def test_no_coverage_without_the_field_or_without_a_known_account(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    _record(db, FIRST, _result())  # a result written before summary.coverage existed
    _record(db, SECOND, _result(account=None, coverage=COVERAGE))
    _hydrate(db, FIRST, tmp_path / "a.json", make_orders(5))
    _hydrate(db, SECOND, tmp_path / "b.json", make_orders(5))
    assert _coverage(engine) == []


@pytest.mark.parametrize("parse_in_subprocess", [True, False])
def test_a_failed_attempt_leaves_ledger_rows_and_the_retry_relinks_them(
    db: Database, engine: Engine, tmp_path: Path, parse_in_subprocess: bool
) -> None:
    db.hydration.parse_in_subprocess = parse_in_subprocess
    orders = make_orders(3000)
    _record(db, FIRST, _result())
    data = document_bytes(orders)
    failed = db.hydration.hydrate(FIRST, breaking_source(data, fail_after=len(data) // 2), source="file")
    assert failed.state == "failed"
    kept = len(_ledger(engine))
    assert 0 < kept < 3000 and _links(engine, FIRST) == kept  # committed chunks: rows and their links
    _hydrate(db, FIRST, tmp_path / "a.json", orders)
    assert len(_ledger(engine)) == _links(engine, FIRST) == 3000


def test_account_values() -> None:
    assert account_of_result('{"account_id": "1187837411"}') == "1187837411"
    assert account_of_result({"account_id": 1187837411}) == "1187837411"
    for bad in (
        {"account_id": ""},
        {"account_id": "a b"},
        {"account_id": True},
        {"account_id": "x" * 33},
        "[1]",
    ):
        assert account_of_result(bad) is None
    assert account_of_result("not json") is None
    assert execution_account('{"account_id": "7"}', "8") == "7"
    assert execution_account(None, "8") == "8"
    assert execution_account("{}", None) == "unknown"


def test_coverage_values() -> None:
    def entry(**fields: Any) -> dict[str, Any]:
        return {
            "stream": "spot_normal",
            "symbol": None,
            "start_ms": 10,
            "end_ms": 20,
            "complete": True,
        } | fields

    result = {
        "summary": {
            "coverage": [
                entry(),
                entry(start_ms=20, end_ms=30),  # touches the first: merged
                entry(symbol="BTCUSDT", start_ms=0, end_ms=5),
                entry(symbol="BTCUSDT", start_ms=100, end_ms=200),  # disjoint and wider: kept instead
                entry(stream="x", complete="true"),  # not the boolean true
                entry(stream="y", start_ms=5, end_ms=5),  # an empty window
                entry(stream="z", start_ms=1.5),
                entry(stream="", symbol=None),
                "not an entry",
            ]
        }
    }
    assert complete_coverage(result) == [
        CoverageEntry("spot_normal", "", 10, 30),
        CoverageEntry("spot_normal", "BTCUSDT", 100, 200),
    ]
    assert complete_coverage(json.dumps(result)) == complete_coverage(result)
    assert complete_coverage({"summary": {"coverage": "none"}}) == complete_coverage("oops") == []


def _dangling_links(engine: Engine) -> int:
    """Links whose ledger row is gone (must never happen)."""
    with engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(ExecutionOrder)
            .outerjoin(LedgerOrder, LedgerOrder.id == ExecutionOrder.order_pk)
            .where(LedgerOrder.id.is_(None))
        )
        return connection.scalar(query) or 0


def test_two_executions_hydrating_the_same_orders_at_once_keep_the_newest_copy(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    # GIVEN two executions whose 3,000 orders are the same, the second's copies newer for odd ones
    orders = make_orders(3000)
    newer = [_copy(o, 1000, "newer") if i % 2 else o for i, o in enumerate(orders)]
    for arn, path, document in ((FIRST, "a.json", orders), (SECOND, "b.json", newer)):
        _record(db, arn, _result())
        write_document(tmp_path / path, document)
    # WHEN both are hydrated at the same time (chunks of 500 interleave)
    states: dict[str, Any] = {}

    def run(arn: str, path: str) -> None:
        states[arn] = db.hydration.hydrate(arn, file_source(tmp_path / path), source="file")

    threads = [threading.Thread(target=run, args=args) for args in ((FIRST, "a.json"), (SECOND, "b.json"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # THEN both are saved with all their links, and each order is stored once, its newest copy
    assert {arn: (s.state, s.orders_saved) for arn, s in states.items()} == {
        FIRST: ("saved", 3000),
        SECOND: ("saved", 3000),
    }
    ledger = _ledger(engine)
    assert len(ledger) == 3000
    assert all(ledger[(ACCOUNT, o["stream"], o["orderId"])] == o for o in newer)
    assert _links(engine, FIRST) == _links(engine, SECOND) == 3000


def test_removing_an_execution_while_another_links_the_same_orders_leaves_no_dangling_link(
    db: Database, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a saved execution, and a second one of the same account seeing the same orders
    monkeypatch.setattr(execution_removal, "DELETE_BATCH_ROWS", 300)
    orders = make_orders(3000)
    _record(db, FIRST, _result())
    _hydrate(db, FIRST, tmp_path / "a.json", orders)
    _record(db, SECOND, _result())
    write_document(tmp_path / "b.json", orders)
    # WHEN the first is removed while the second is being hydrated
    thread = threading.Thread(
        target=db.hydration.hydrate,
        args=(SECOND, file_source(tmp_path / "b.json")),
        kwargs={"source": "file"},
    )
    thread.start()
    db.removal.begin_delete(FIRST)
    db.removal.finish_delete(FIRST)
    thread.join(120)
    # THEN the second has every order, each link pointing at a stored order, and nothing of the first is left
    assert db.hydration.hydration_state(SECOND).state == "saved"
    assert _links(engine, SECOND) == 3000 == len(_ledger(engine))
    assert _dangling_links(engine) == 0
    assert db.executions.get_execution(FIRST) is None
