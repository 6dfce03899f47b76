"""Hydration's lines carry the execution's name, bound once per call, on the caller's thread or its own."""

from __future__ import annotations

from pathlib import Path

from app.services.database import Database
from tests.common.test_log_context import json_lines
from tests.services.factories import file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:logged-hydration"


def test_a_background_hydrations_lines_carry_the_execution(db: Database, tmp_path: Path) -> None:
    # GIVEN a document with one unusable record
    orders = make_orders(50)
    del orders[7]["cTime"]
    document = write_document(tmp_path / "result.json", orders)

    # WHEN it is hydrated on a thread of its own
    with json_lines() as lines:
        db.hydration.hydrate_in_background(ARN, file_source(document), source="file", wait_s=0)
        db.hydration.join_background(timeout_s=60)

    # THEN the thread's lines name the execution, and the rejected row's line its own fields too
    hydration = [line for line in lines if line["logger"].startswith("app.services.hydration")]
    messages = {line["message"] for line in hydration}
    assert {"hydration skipped an order record", "hydration finished"} <= messages
    assert {line["execution"] for line in hydration} == {"logged-hydration"}
    assert "execution_arn" not in {key for line in hydration for key in line}
