"""The database follows the execution, not the poll: the watcher saves the orders of executions that ended, and
/orders/list and /database never show RUNNING for an execution the orchestrator says has ended."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from app.orchestration.base import OrchestrationError
from app.services.execution_watcher import ExecutionWatcher
from tests.api.fakes import order
from tests.common.test_log_context import json_lines


def wait_until(condition, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def listed(api, arn: str) -> dict:
    return next(e for e in api.client.get("/orders/list").json()["executions"] if e["execution_arn"] == arn)


# ---- /orders/list and /database follow the orchestrator ----------------------------------------------------
def test_list_and_database_show_the_orchestrators_status_without_any_poll(api) -> None:
    # GIVEN three executions recorded RUNNING; then one succeeds and one fails, and nobody polls them
    done, failed, running = api.start(), api.start(), api.start()
    api.orchestrator.succeed(done, [order(i) for i in range(5)])
    api.orchestrator.fail(failed)
    # WHEN the list and the saved orders are read
    statuses = {e["execution_arn"]: e["status"] for e in api.client.get("/orders/list").json()["executions"]}
    info = api.client.get(f"/orders/{done}/database").json()["execution_info"]
    # THEN they show what the orchestrator says, with the result's figures, and the database keeps it
    assert statuses == {done: "SUCCEEDED", failed: "FAILED", running: "RUNNING"}
    assert (info["status"], info["total_orders"]) == ("SUCCEEDED", 5)
    assert listed(api, failed)["complete"] is False
    engine = create_engine(api.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT execution_arn, status FROM execution_results")).all()
        stored = {arn: status for arn, status in rows}
    engine.dispose()
    assert stored == statuses
    # AND reading a list saves nothing (that is the GET's and the watcher's work)
    assert api.counts()["orders"] == 0


def test_finished_rows_are_not_asked_again(api) -> None:
    arn = api.start()
    api.orchestrator.fail(arn)
    api.client.get("/orders/list")
    api.orchestrator.described.clear()
    api.client.get("/orders/list")
    api.client.get(f"/orders/{arn}/database")
    assert api.orchestrator.described == []


def test_an_orchestrator_failure_leaves_the_list_readable(sqlite_api) -> None:
    arn = sqlite_api.start()
    sqlite_api.orchestrator.describe_error = OrchestrationError(
        "DescribeExecution failed: ThrottlingException"
    )
    response = sqlite_api.client.get("/orders/list")
    assert response.status_code == 200
    assert response.json()["executions"][0]["status"] == "RUNNING"
    assert sqlite_api.client.get(f"/orders/{arn}/database").status_code == 200


# ---- the watcher in the running service --------------------------------------------------------------------
def test_the_watcher_saves_the_orders_of_an_execution_nobody_polls(make_api, database_url) -> None:
    # GIVEN the service with its watcher on (every 50 ms)
    api = make_api(database_url, watch_interval_s=0.05)
    assert "watcher" in api.client.app.state.runtime.tasks
    done, failed = api.start(), api.start()
    # WHEN the executions end, and nobody calls GET /orders/{arn}
    api.orchestrator.succeed(done, [order(i) for i in range(40)])
    api.orchestrator.fail(failed)
    # THEN within moments the orders are saved and both records say how they ended
    wait_until(lambda: api.counts()["orders"] == 40)
    api.client.app.state.runtime.db.hydration.join_background(30)
    db = api.client.app.state.runtime.db
    wait_until(lambda: db.hydration.hydration_state(done).state == "saved")
    executions = db.executions
    statuses = executions.get_execution(done)["status"], executions.get_execution(failed)["status"]
    assert statuses == ("SUCCEEDED", "FAILED")
    # AND a GET afterwards finds it saved, adding nothing
    body = api.client.get(f"/orders/{done}").json()
    assert (body["database_info"]["state"], body["database_info"]["orders_in_db"]) == ("saved", 40)
    assert api.counts()["orders"] == 40


def test_the_watcher_takes_over_a_save_whose_process_died(make_api, database_url) -> None:
    # GIVEN the service with its watcher, and an execution whose save was claimed a moment ago by a process of
    # this host that has since died (its heartbeat is fresh: the 300 s rule alone would wait 5 minutes)
    api = make_api(database_url, watch_interval_s=0.05)
    arn = api.start()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    engine = create_engine(api.database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state = 'saving', hydration_token = 'dead', "
                "hydration_owner = :o, hydration_heartbeat_at = :t, orders_saved = 4 WHERE execution_arn = :a"
            ),
            {
                "o": f"{socket.gethostname()}:{dead.stdout.strip()}:1",
                "t": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "a": arn,
            },
        )
    engine.dispose()
    # WHEN the execution has succeeded (nobody polls it)
    api.orchestrator.succeed(arn, [order(i) for i in range(9)])
    # THEN the watcher takes the save over at once and completes it
    db = api.client.app.state.runtime.db
    wait_until(lambda: db.hydration.hydration_state(arn).state == "saved")
    assert api.counts()["orders"] == 9
    logs = db.executions.list_logs(arn)
    assert [log["message"] for log in logs][:2] == ["hydration taken over", "hydration started"]
    assert logs[0]["details"]["reason"] == "owner process is gone"


def test_the_watcher_is_off_with_interval_zero(sqlite_api) -> None:
    assert "watcher" not in sqlite_api.client.app.state.runtime.tasks


# ---- the watcher's tick -------------------------------------------------------------------------------------
def test_a_tick_examines_a_bounded_batch_round_robin(sqlite_api) -> None:
    runtime = sqlite_api.client.app.state.runtime
    arns = [sqlite_api.start() for _ in range(5)]
    watcher = ExecutionWatcher(runtime.orders, runtime.db, batch_size=2)
    seen: list[list[str]] = []
    for _ in range(4):
        sqlite_api.orchestrator.described.clear()
        report = watcher.tick()
        seen.append(list(sqlite_api.orchestrator.described))
        assert report.examined == len(seen[-1]) <= 2
    assert seen == [arns[0:2], arns[2:4], arns[4:5], arns[0:2]]


def test_a_tick_logs_errors_and_carries_on(sqlite_api, caplog, monkeypatch) -> None:
    runtime = sqlite_api.client.app.state.runtime
    first, second = sqlite_api.start(), sqlite_api.start()
    sqlite_api.orchestrator.succeed(second, [order(1)])
    calls = {"n": 0}
    real = sqlite_api.orchestrator.describe

    def flaky(arn):
        calls["n"] += 1
        if arn == first:
            raise RuntimeError("boom")
        return real(arn)

    monkeypatch.setattr(sqlite_api.orchestrator, "describe", flaky)
    watcher = ExecutionWatcher(runtime.orders, runtime.db)
    with caplog.at_level(logging.WARNING, logger="app.services.execution_watcher"):
        report = watcher.tick()
    assert (report.examined, report.errors) == (2, 1)
    assert "watcher could not refresh an execution" in caplog.text
    runtime.db.hydration.join_background(30)
    assert runtime.db.hydration.hydration_state(second).state == "saved"
    # the failing one waits before its next attempt (backoff), the rest go on
    calls["n"] = 0
    assert watcher.tick().examined == 0 and calls["n"] == 0


def test_a_failed_save_is_retried_with_backoff(sqlite_api) -> None:
    runtime = sqlite_api.client.app.state.runtime
    arn = sqlite_api.start()
    sqlite_api.orchestrator.succeed(arn, [order(1)])
    # The save the ending started must not overwrite the state set below.
    runtime.db.hydration.join_background(30)
    engine = create_engine(sqlite_api.database_url)

    def failed_seconds_ago(seconds: float) -> None:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE execution_results SET hydration_state = 'failed', hydration_finished_at = :t"),
                {"t": dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=seconds)},
            )

    watcher = ExecutionWatcher(runtime.orders, runtime.db)
    failed_seconds_ago(10)
    assert watcher.tick().examined == 0  # failed 10 s ago: not yet (1 min)
    failed_seconds_ago(61)
    assert watcher.tick().examined == 1  # retried...
    runtime.db.hydration.join_background(30)
    assert runtime.db.hydration.hydration_state(arn).state == "saved"
    failed_seconds_ago(61)  # ...and had it failed again, the next wait doubles
    assert watcher.tick().examined == 0
    failed_seconds_ago(121)
    assert watcher.tick().examined == 1
    engine.dispose()


def test_a_tick_starts_no_save_while_enough_are_running(sqlite_api, monkeypatch) -> None:
    runtime = sqlite_api.client.app.state.runtime
    arns = [sqlite_api.start() for _ in range(3)]
    for arn in arns:
        sqlite_api.orchestrator.succeed(arn, [order(1)])
    # saves running = those of other callers + one per execution this watcher examined (each starts one)
    described = sqlite_api.orchestrator.described
    others = {"saves": 2}
    monkeypatch.setattr(runtime.db.hydration, "active_background", lambda: others["saves"] + len(described))
    watcher = ExecutionWatcher(runtime.orders, runtime.db, max_parallel_saves=2)
    described.clear()
    assert watcher.tick().examined == 0  # two saves running: none started
    others["saves"] = 1
    assert watcher.tick().examined == 1  # one slot: one started...
    assert described == arns[:1]
    others["saves"] = -1
    assert watcher.tick().examined == 2  # ...and the next tick goes on from there
    assert described == arns
    runtime.db.hydration.join_background(30)
    assert sqlite_api.counts()["orders"] == 3


def test_an_execution_the_orchestrator_forgot_is_left_alone(sqlite_api) -> None:
    runtime = sqlite_api.client.app.state.runtime
    arn = sqlite_api.start()
    del sqlite_api.orchestrator.states[arn]
    watcher = ExecutionWatcher(runtime.orders, runtime.db)
    assert watcher.tick().examined == 1
    assert watcher.tick().examined == 0


def test_the_watchers_lines_name_the_execution_they_are_about(sqlite_api) -> None:
    # GIVEN two executions that ended (one failed, one succeeded) while nobody polled them
    runtime = sqlite_api.client.app.state.runtime
    failed, done = sqlite_api.start(), sqlite_api.start()
    sqlite_api.orchestrator.fail(failed)
    sqlite_api.orchestrator.succeed(done, [order(1)])
    # WHEN the watcher refreshes them
    with json_lines() as lines:
        ExecutionWatcher(runtime.orders, runtime.db).tick()
    runtime.db.hydration.join_background(30)
    # THEN each refresh line carries its own execution, bound once per execution (not passed by hand)
    refreshed = {
        line["execution"]: line["status"]
        for line in lines
        if line["message"] == "watcher refreshed an execution"
    }
    assert refreshed == {failed.split(":")[7]: "FAILED", done.split(":")[7]: "SUCCEEDED"}
