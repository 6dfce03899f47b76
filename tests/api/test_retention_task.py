"""RESULTS_RETENTION_DAYS in the running service: the local results store is swept at start (and hourly);
old results expire, database rows stay."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import create_engine, text

from lambda_functions.common.keys import manifest_key, result_key
from lambda_functions.common.results_store import LocalResultsStore
from tests.api.conftest import BASE_URL
from tests.api.fakes import order

PREFIX = "bitget-results/"


def put_finished(store: LocalResultsStore, name: str, days_ago: float) -> None:
    stopped = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).isoformat()
    manifest = {
        "execution": name,
        "status": "SUCCEEDED",
        "symbols": ["BTCUSDT"],
        "started_at": stopped,
        "stopped_at": stopped,
    }
    store.put_json(manifest_key(PREFIX, name), manifest)
    store.put_json(result_key(PREFIX, name), {"orders": []})


def executions_on_disk(store: LocalResultsStore) -> set[str]:
    return {key[len(PREFIX) :].split("/")[0] for key in store.list_keys(PREFIX)}


def test_old_results_expire_and_the_database_keeps_its_rows(make_api, database_url, tmp_path) -> None:
    # GIVEN a saved execution, and on disk the results of executions that ended 40 and 5 days ago
    first = make_api(database_url)
    arn = first.start()
    first.orchestrator.succeed(arn, [order(i) for i in range(6)])
    assert first.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
    store = LocalResultsStore(tmp_path / "results", BASE_URL)
    put_finished(store, "exec-1", 40)  # the saved execution's manifest, now 40 days old
    put_finished(store, "ancient", 40)
    put_finished(store, "recent", 5)
    # WHEN the service starts with a 30-day retention
    api = make_api(database_url, results_retention_days=30)
    task = api.client.app.state.runtime.tasks["retention"]
    deadline = time.monotonic() + 15
    while task.runs < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # THEN the old results are gone, the recent ones kept
    assert executions_on_disk(store) == {"recent"}
    # AND the database still holds the execution and its orders (the ledger is kept)
    assert api.counts()["orders"] == 6
    page = api.client.get(f"/orders/{arn}/database", params={"limit": 100}).json()
    assert (page["execution_info"]["status"], page["pagination"]["total_orders"]) == ("SUCCEEDED", 6)


def test_results_awaiting_their_save_do_not_expire(make_api, database_url, tmp_path) -> None:
    first = make_api(database_url)
    arn = first.start()  # recorded, never saved
    store = LocalResultsStore(tmp_path / "results", BASE_URL)
    put_finished(store, "exec-1", 40)
    api = make_api(database_url, results_retention_days=30)
    task = api.client.app.state.runtime.tasks["retention"]
    while task.runs < 1:
        time.sleep(0.05)
    assert executions_on_disk(store) == {"exec-1"}
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT COUNT(*) FROM execution_results WHERE execution_arn = :a"), {"a": arn}
            ).scalar_one()
            == 1
        )
    engine.dispose()


def test_zero_days_runs_no_sweep(make_api, sqlite_url) -> None:
    api = make_api(sqlite_url, results_retention_days=0)
    assert "retention" not in api.client.app.state.runtime.tasks
