"""POST /orders/{arn}/cancel and /resume, and the watcher's continuations (issue 9 §1), against the fake
orchestrator (the coordinator's resume action as docs/CONTRACTS.md shapes it) on SQLite and MariaDB."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app.services.execution_watcher import ExecutionWatcher
from lambda_functions.common import keys
from lambda_functions.coordinator.naming import execution_name_from_arn
from tests.api.fakes import UNKNOWN_ARN, order

# The orders an execution saw (its links to the ledger), as the per-execution `orders` table held them.
SAVED = (
    "(SELECT e.execution_arn, l.stream, l.order_id FROM execution_orders x "
    "JOIN ledger_orders l ON l.id = x.order_pk JOIN execution_results e ON e.id = x.execution_id) AS o"
)


def row(api, arn: str) -> dict:
    engine = create_engine(api.database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT status, hydration_state, orders_saved, complete FROM execution_results "
                    "WHERE execution_arn = :arn"
                ),
                {"arn": arn},
            ).one()
    finally:
        engine.dispose()
    return dict(found._mapping)


def saved_order_ids(api, arn: str) -> list[str]:
    engine = create_engine(api.database_url)
    try:
        with engine.connect() as connection:
            ids = connection.execute(
                text(f"SELECT order_id FROM {SAVED} WHERE execution_arn = :arn ORDER BY order_id"),  # noqa: S608
                {"arn": arn},
            ).scalars()
            return list(ids)
    finally:
        engine.dispose()


def cancel_exists(api, arn: str) -> bool:
    name = execution_name_from_arn(arn) or ""
    return api.store.exists(keys.cancel_key("bitget-results/", name))


# ---- cancel -------------------------------------------------------------------------------------------------
def test_cancel_a_running_execution_is_202_then_aborted_with_what_was_fetched(api) -> None:
    # GIVEN a running execution
    arn = api.start()
    # WHEN it is cancelled
    response = api.client.post(f"/orders/{arn}/cancel")
    # THEN the stop is asked (cancel.json) and the answer says ABORTING
    assert response.status_code == 202, response.text
    assert response.json()["executionArn"] == arn
    assert response.json()["status"] == "ABORTING"
    assert api.orchestrator.cancelled == [arn]
    assert cancel_exists(api, arn)
    # AND once the workers stopped (the aggregator records ABORTED with what exists)
    api.orchestrator.abort(arn, [order(i) for i in range(3)])
    status = api.client.get(f"/orders/{arn}").json()
    api.client.app.state.runtime.db.hydration.join_background(30)
    # THEN it reads ABORTED, its result readable and its orders saved, and the row says ABORTED
    assert status["status"] == "ABORTED"
    assert status["result"]["summary"]["total_orders"] == 3
    assert row(api, arn)["status"] == "ABORTED"
    assert row(api, arn)["hydration_state"] == "saved"
    assert len(saved_order_ids(api, arn)) == 3


def test_cancel_a_finished_execution_is_409_and_writes_nothing(api) -> None:
    done, failed = api.start(), api.start()
    api.orchestrator.succeed(done, [order(1)])
    api.orchestrator.fail(failed)
    for arn, status in ((done, "SUCCEEDED"), (failed, "FAILED")):
        response = api.client.post(f"/orders/{arn}/cancel")
        assert response.status_code == 409
        assert status in response.json()["detail"]
        assert "only a RUNNING execution can be cancelled" in response.json()["detail"]
        assert not cancel_exists(api, arn)
    assert api.orchestrator.cancelled == []


def test_cancel_an_unknown_execution_is_404(api) -> None:
    response = api.client.post(f"/orders/{UNKNOWN_ARN}/cancel")
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


# ---- resume -------------------------------------------------------------------------------------------------
def test_resume_an_unknown_execution_is_404(api) -> None:
    response = api.client.post(f"/orders/{UNKNOWN_ARN}/resume")
    assert response.status_code == 404
    assert api.orchestrator.resumed == []


def test_resume_a_running_execution_is_409(api) -> None:
    arn = api.start()
    response = api.client.post(f"/orders/{arn}/resume")
    assert response.status_code == 409
    assert "is RUNNING" in response.json()["detail"]
    assert api.orchestrator.resumed == []


def test_resume_a_complete_success_is_409(api) -> None:
    arn = api.start()
    api.orchestrator.succeed(arn, [order(1)])
    output = api.orchestrator.states[arn].output
    assert output is not None
    output["summary"]["complete"] = True
    response = api.client.post(f"/orders/{arn}/resume")
    assert response.status_code == 409
    assert "SUCCEEDED and is complete" in response.json()["detail"]
    assert api.orchestrator.resumed == []


def test_resume_a_failed_execution_is_202_and_the_row_is_running_again_under_the_same_arn(api) -> None:
    # GIVEN a failed execution, recorded FAILED
    arn = api.start()
    api.orchestrator.fail(arn)
    assert api.client.get(f"/orders/{arn}").json()["status"] == "FAILED"
    assert row(api, arn)["status"] == "FAILED"
    # WHEN it is resumed
    response = api.client.post(f"/orders/{arn}/resume")
    # THEN the coordinator's resume action ran with reopen_failed true, under the same ARN
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["executionArn"], body["status"], body["previous_status"]) == (arn, "RUNNING", "FAILED")
    assert (body["run"], body["run_arn"]) == (1, f"{arn}-r1")
    assert api.orchestrator.resumed == [(arn, True)]
    # AND the row is RUNNING again, the same one (the list shows one execution)
    assert row(api, arn)["status"] == "RUNNING"
    listed = api.client.get("/orders/list").json()
    assert [e["execution_arn"] for e in listed["executions"]] == [arn]
    assert api.client.get(f"/orders/{arn}").json()["status"] == "RUNNING"
    # AND a second resume while it runs is refused
    assert api.client.post(f"/orders/{arn}/resume").status_code == 409


def test_resume_an_aborted_execution_saves_again_and_the_db_equals_the_final_result(api) -> None:
    # GIVEN an execution cancelled after 3 orders, whose 3 orders are saved
    arn = api.start()
    assert api.client.post(f"/orders/{arn}/cancel").status_code == 202
    api.orchestrator.abort(arn, [order(i) for i in range(3)])
    api.client.get(f"/orders/{arn}")
    api.client.app.state.runtime.db.hydration.join_background(30)
    assert (row(api, arn)["status"], row(api, arn)["hydration_state"]) == ("ABORTED", "saved")
    # WHEN it is resumed
    response = api.client.post(f"/orders/{arn}/resume")
    assert response.status_code == 202, response.text
    assert response.json()["previous_status"] == "ABORTED"
    # THEN the cancel request is gone, the row is RUNNING with its orders due to be saved again
    assert not cancel_exists(api, arn)
    assert (row(api, arn)["status"], row(api, arn)["hydration_state"]) == ("RUNNING", "pending")
    # AND when it ends with 5 orders (the 3 again and 2 more), the database holds exactly those 5
    final = [order(i) for i in range(5)]
    api.orchestrator.succeed(arn, final)
    status = api.client.get(f"/orders/{arn}").json()
    api.client.app.state.runtime.db.hydration.join_background(30)
    assert status["status"] == "SUCCEEDED"
    assert row(api, arn)["status"] == "SUCCEEDED"
    assert row(api, arn)["hydration_state"] == "saved"
    assert saved_order_ids(api, arn) == sorted(o["orderId"] for o in final)


def test_resume_an_incomplete_success_is_202(api) -> None:
    arn = api.start()
    api.orchestrator.succeed(arn, [order(1)])
    output = api.orchestrator.states[arn].output
    assert output is not None
    output["summary"]["complete"] = False
    response = api.client.post(f"/orders/{arn}/resume")
    assert response.status_code == 202, response.text
    assert response.json()["previous_status"] == "SUCCEEDED"
    assert row(api, arn)["status"] == "RUNNING"


# ---- continuations (aws: the watcher) -----------------------------------------------------------------------
def test_the_watcher_continues_an_execution_whose_run_stopped_at_the_deadline(api) -> None:
    # GIVEN an execution whose run stopped at its deadline (RUNNING, continuation_needed)
    arn, other = api.start(), api.start()
    api.orchestrator.need_continuation(arn)
    runtime = api.client.app.state.runtime
    watcher = ExecutionWatcher(runtime.orders, runtime.db)
    # WHEN the watcher ticks
    report = watcher.tick()
    # THEN it resumed that one (reopen_failed false), and only that one, under the same ARN
    assert report.continued == [(arn, "resumed")]
    assert api.orchestrator.resumed == [(arn, False)]
    assert api.orchestrator.continued == [arn]
    assert row(api, arn)["status"] == "RUNNING"
    # AND the next tick has nothing to continue
    assert watcher.tick().continued == []
    assert other not in api.orchestrator.continued
