"""open_database: the parts it builds share one database and one set of hydration claims, and its settings reach
the parts that use them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.core.db import make_session_factory
from app.services.database import Database, open_database
from app.services.execution_removal import ExecutionBusyError
from app.services.hydration import claim_owner
from tests.services.factories import file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:parts"


def _record(db: Database) -> None:
    db.executions.record_execution(
        execution_arn=ARN, execution_name="parts", symbols=["BTCUSDT"], start_ms=1, end_ms=2
    )


def test_the_query_parts_read_what_hydration_wrote(db: Database, tmp_path: Path) -> None:
    # GIVEN an execution recorded by the executions part
    _record(db)
    # WHEN the hydration part loads its document
    document = write_document(tmp_path / "doc.json", make_orders(30))
    state = db.hydration.hydrate(ARN, file_source(document), source="file")
    # THEN the query parts count what it stored, and its progress went to the executions part's log
    assert (state.state, db.orders.count_orders(ARN), db.fills.count_fills(ARN)) == ("saved", 30, 0)
    assert [entry["message"] for entry in db.executions.list_logs(ARN)] == [
        "hydration started",
        "hydration finished",
    ]


def test_removal_sees_the_claim_the_hydration_part_took(db: Database) -> None:
    _record(db)
    token = db.hydration.claims.take(ARN, "file")
    assert token is not None
    try:
        with pytest.raises(ExecutionBusyError):
            db.removal.begin_delete(ARN)
    finally:
        claim_owner.release(token)


def test_stale_claim_s_reaches_the_claims_and_removal(engine: Engine) -> None:
    # GIVEN parts for which any heartbeat is stale at once, and a claim held by this very process
    impatient = open_database(make_session_factory(engine), stale_claim_s=0)
    _record(impatient)
    token = impatient.hydration.claims.take(ARN, "file")
    assert token is not None
    try:
        # THEN the claim no longer counts as live: removal may take the execution over
        assert impatient.removal.begin_delete(ARN) == "saving"
    finally:
        claim_owner.release(token)


def test_chunk_rows_reach_hydration_and_must_be_positive(engine: Engine) -> None:
    assert open_database(make_session_factory(engine), chunk_rows=7).hydration.chunk_rows == 7
    with pytest.raises(ValueError, match="chunk_rows"):
        open_database(make_session_factory(engine), chunk_rows=0)
