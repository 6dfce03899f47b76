"""Removing an execution's rows: refused while a hydration may be running, complete otherwise, resumable; the
ledger orders only it saw go with it, orders another execution saw stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from app.models.database import AccountCoverage, ExecutionOrder, LedgerOrder
from app.services import execution_removal
from app.services.database import Database
from app.services.execution_removal import ExecutionBusyError
from tests.services.factories import file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:remove-me"
OTHER = "arn:aws:states:us-east-2:1:execution:bitget-orders:keep-me"


def _record(db: Database, arn: str) -> None:
    db.executions.record_execution(
        execution_arn=arn, execution_name=arn.rsplit(":", 1)[1], symbols=["BTCUSDT"], start_ms=1, end_ms=2
    )


def _rows(engine: Engine, arn: str) -> tuple[int, int, int]:
    """(links, processing log entries, records) of the execution."""
    with engine.connect() as connection:
        links = connection.execute(
            text(
                "SELECT COUNT(*) FROM execution_orders x JOIN execution_results e ON e.id = x.execution_id "
                "WHERE e.execution_arn = :a"
            ),
            {"a": arn},
        ).scalar_one()
        logs, records = (
            connection.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE execution_arn = :a"),  # noqa: S608 - constant tables
                {"a": arn},
            ).scalar_one()
            for table in ("processing_logs", "execution_results")
        )
        return links, logs, records


def _ledger(engine: Engine) -> dict[str, str]:
    """order id -> raw of every ledger row."""
    with engine.connect() as connection:
        return {
            row.order_id: row.raw for row in connection.execute(select(LedgerOrder.order_id, LedgerOrder.raw))
        }


@pytest.fixture
def two_saved(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Two saved executions of one account: the 250 orders of ARN include the 40 of OTHER."""
    monkeypatch.setattr(execution_removal, "DELETE_BATCH_ROWS", 70)  # several batches
    for arn, count in ((ARN, 250), (OTHER, 40)):
        _record(db, arn)
        document = write_document(tmp_path / f"{count}.json", make_orders(count))
        assert db.hydration.hydrate(arn, file_source(document), source="file").state == "saved"
    return db


def test_removal_deletes_the_orders_logs_and_record_of_that_execution_only(two_saved, engine) -> None:
    # GIVEN two executions that share 40 orders
    assert _rows(engine, ARN) == (250, 2, 1)
    ledger = _ledger(engine)
    shared = {o["orderId"] for o in make_orders(40)}
    assert len(ledger) == 250 and shared <= set(ledger)
    # WHEN the one with 250 is removed
    previous = two_saved.removal.begin_delete(ARN)
    assert previous == "saved"
    assert two_saved.hydration.hydration_state(ARN).state == "deleting"
    removed = two_saved.removal.finish_delete(ARN)
    # THEN its links, its 210 orders of its own, its log and record are gone
    assert (removed.orders, removed.processing_logs, removed.execution_record) == (250, 2, True)
    assert removed.ledger_orders == 210
    assert _rows(engine, ARN) == (0, 0, 0)
    assert two_saved.executions.get_execution(ARN) is None
    # AND the other execution's orders, links and count are untouched
    assert _rows(engine, OTHER) == (40, 2, 1)
    assert _ledger(engine) == {order_id: ledger[order_id] for order_id in shared}
    assert two_saved.orders.count_orders(OTHER) == 40
    assert two_saved.hydration.hydration_state(OTHER).orders_saved == 40
    # AND removing the other empties the ledger
    two_saved.removal.begin_delete(OTHER)
    assert two_saved.removal.finish_delete(OTHER).ledger_orders == 40
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(LedgerOrder)) == 0
        assert connection.scalar(select(func.count()).select_from(ExecutionOrder)) == 0


def test_removal_deletes_the_coverage_of_that_execution_only(two_saved, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(AccountCoverage),
            [
                {"account_id": "1", "stream": "spot_normal", "symbol": "", "start_ms": 1, "end_ms": 2,
                 "execution_arn": arn, "created_at": dt.datetime(2026, 1, 1)}
                for arn in (ARN, OTHER)
            ],
        )  # fmt: skip
    two_saved.removal.begin_delete(ARN)
    assert two_saved.removal.finish_delete(ARN).coverage_rows == 1
    with engine.connect() as connection:
        assert connection.scalars(select(AccountCoverage.execution_arn)).all() == [OTHER]


def test_an_execution_being_removed_cannot_be_claimed_and_a_cut_removal_is_finished_later(
    two_saved, engine, tmp_path
) -> None:
    two_saved.removal.begin_delete(ARN)  # ...and the process died here
    document = write_document(tmp_path / "again.json", make_orders(10))
    assert two_saved.hydration.hydrate(ARN, file_source(document), source="file").state == "deleting"
    assert _rows(engine, ARN)[0] == 250  # nothing loaded
    assert two_saved.removal.begin_delete(ARN) == "deleting"  # the next DELETE takes it again
    assert two_saved.removal.finish_delete(ARN).orders == 250
    assert len(_ledger(engine)) == 40


def test_removal_is_refused_while_a_live_hydration_holds_the_execution(two_saved, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE execution_results SET hydration_state = 'failed' WHERE execution_arn = :a"),
            {"a": ARN},
        )
    token = two_saved.hydration.claims.take(ARN, "file")  # a hydration of this process, running
    assert token is not None
    with pytest.raises(ExecutionBusyError, match="being saved"):
        two_saved.removal.begin_delete(ARN)
    assert two_saved.hydration.hydration_state(ARN).state == "saving"
    assert _rows(engine, ARN)[0] == 250


def test_a_stale_or_dead_hydration_does_not_block_removal(two_saved, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state = 'saving', hydration_token = 'gone', "
                "hydration_owner = 'elsewhere:1:1', hydration_heartbeat_at = :t WHERE execution_arn = :a"
            ),
            {"t": dt.datetime(2000, 1, 1), "a": ARN},
        )
    assert two_saved.removal.begin_delete(ARN) == "saving"
    assert two_saved.removal.finish_delete(ARN).execution_record


def test_abort_gives_the_execution_back(two_saved) -> None:
    previous = two_saved.removal.begin_delete(ARN)
    two_saved.removal.abort_delete(ARN, previous)
    assert two_saved.hydration.hydration_state(ARN).state == "saved"


def test_removing_an_unrecorded_execution_removes_nothing(db: Database) -> None:
    assert db.removal.begin_delete("arn:none") is None
    removed = db.removal.finish_delete("arn:none")
    assert (removed.orders, removed.processing_logs, removed.execution_record) == (0, 0, False)
    assert (removed.ledger_orders, removed.coverage_rows) == (0, 0)
