"""DELETE /orders/{execution_arn}: removes the execution's rows and results objects (its links, and the ledger
orders no other execution saw: another execution's pages are unchanged); 409 while it runs or its orders are
being saved, 404 when unknown (a second DELETE too), 422 for a malformed ARN; bad calls change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from lambda_functions.common import keys
from tests.api.fakes import EXPRESS_PREFIX, UNKNOWN_ARN, order
from tests.api.test_orders import MALFORMED_ARNS


def objects(api, arn: str) -> list[str]:
    name = arn.split(":")[7]
    return api.store.list_keys(keys.execution_prefix("bitget-results/", name))


def saved_execution(api, count: int = 12) -> str:
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(count)])
    assert api.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
    return arn


def pages(api, arn: str) -> list[dict]:
    """Every page of the execution's /database, followed by cursor."""
    bodies, params = [], {"limit": 4}
    while True:
        response = api.client.get(f"/orders/{arn}/database", params=params)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
        cursor = bodies[-1]["pagination"]["next_cursor"]
        if cursor is None:
            return bodies
        params = {"limit": 4, "cursor": cursor}


def test_delete_removes_rows_and_results_and_a_second_delete_is_404(api) -> None:
    # GIVEN two saved executions of one account: the 12 orders of the first include the 5 of the other
    arn, other = saved_execution(api), saved_execution(api, 5)
    assert sorted(k.rsplit("/", 1)[1] for k in objects(api, arn)) == ["manifest.json", "result.json"]
    before, other_pages = api.counts(), pages(api, other)
    assert (before["ledger_orders"], before["orders"]) == (12, 17)
    assert other_pages[0]["pagination"]["total_orders"] == 5
    # WHEN one is deleted
    response = api.client.delete(f"/orders/{arn}")
    # THEN the answer says what was removed
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["execution_arn"], body["deleted"], body["status"]) == (arn, True, "SUCCEEDED")
    removed = body["removed"]
    assert (removed["orders"], removed["processing_logs"], removed["execution_record"]) == (12, 2, True)
    assert removed["results_objects"] == 2
    assert removed["results_prefix"] == "bitget-results/exec-1/"
    assert sorted(removed["results_keys"]) == [
        "bitget-results/exec-1/manifest.json",
        "bitget-results/exec-1/result.json",
    ]
    # AND its rows and objects are gone, the other execution's untouched: its total and rows are the same
    after = api.counts()
    assert after["orders"] == before["orders"] - 12 == 5
    assert after["ledger_orders"] == 5  # the 7 orders only the deleted execution saw are gone from the ledger
    assert pages(api, other) == other_pages
    assert after["execution_results"] == before["execution_results"] - 1
    assert after["processing_logs"] == before["processing_logs"] - 2
    assert objects(api, arn) == [] and len(objects(api, other)) == 2
    assert not (api.store.root / "bitget-results" / "exec-1").exists()
    assert [e["execution_arn"] for e in api.client.get("/orders/list").json()["executions"]] == [other]
    # AND it is unknown from now on: a second DELETE, GET and /database are 404, and nothing is re-created
    for response in (
        api.client.delete(f"/orders/{arn}"),
        api.client.get(f"/orders/{arn}"),
        api.client.get(f"/orders/{arn}/database"),
    ):
        assert response.status_code == 404, response.text
    assert api.counts() == after
    assert objects(api, arn) == []


def test_delete_while_running_is_409_and_removes_nothing(api) -> None:
    arn = api.start()
    before, files = api.counts(), objects(api, arn)
    response = api.client.delete(f"/orders/{arn}")
    assert response.status_code == 409
    assert "RUNNING" in response.json()["detail"]
    assert (api.counts(), objects(api, arn)) == (before, files)
    # once it has ended it can be deleted
    api.orchestrator.fail(arn)
    assert api.client.delete(f"/orders/{arn}").json()["status"] == "FAILED"
    assert api.counts()["execution_results"] == 0


def test_delete_while_its_orders_are_being_saved_is_409(api) -> None:
    # GIVEN a succeeded execution whose orders a live hydration (this process's) is saving
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(3)])
    db = api.client.app.state.runtime.db
    assert db.hydration.claims.take(arn, "file") is not None
    before, files = api.counts(), objects(api, arn)
    # WHEN it is deleted THEN 409, nothing removed
    response = api.client.delete(f"/orders/{arn}")
    assert response.status_code == 409
    assert "being saved" in response.json()["detail"]
    assert (api.counts(), objects(api, arn)) == (before, files)


def test_delete_after_a_dead_hydration_proceeds(api) -> None:
    arn = saved_execution(api)
    engine = create_engine(api.database_url)
    with engine.begin() as connection:  # a hydration whose process died an hour ago
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state = 'saving', hydration_token = 'dead', "
                "hydration_heartbeat_at = :t WHERE execution_arn = :a"
            ),
            {"t": dt.datetime(2000, 1, 1), "a": arn},
        )
    engine.dispose()
    assert api.client.delete(f"/orders/{arn}").json()["removed"]["orders"] == 12


def test_an_execution_never_polled_is_deleted_with_its_results(api) -> None:
    # GIVEN a succeeded execution nobody polled (the database still says RUNNING, nothing saved)
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(4)])
    body = api.client.delete(f"/orders/{arn}").json()
    assert (body["status"], body["removed"]["orders"], body["removed"]["results_objects"]) == (
        "SUCCEEDED",
        0,
        2,
    )
    assert set(api.counts().values()) == {0}


def test_delete_an_express_arn(api) -> None:
    api.orchestrator.express = True
    arn = saved_execution(api, 3)
    assert arn.startswith(EXPRESS_PREFIX)
    assert api.client.delete(f"/orders/{arn}").json()["removed"]["orders"] == 3
    assert api.client.delete(f"/orders/{arn}").status_code == 404


def test_a_recorded_execution_the_orchestrator_forgot_is_deleted(api) -> None:
    arn = saved_execution(api, 2)
    del api.orchestrator.states[arn]  # e.g. EXPRESS history gone; the manifest too
    api.store.delete(objects(api, arn))
    body = api.client.delete(f"/orders/{arn}").json()
    assert (body["status"], body["removed"]["orders"], body["removed"]["results_objects"]) == (
        "SUCCEEDED",
        2,
        0,
    )


def test_delete_unknown_is_404_and_changes_nothing(api) -> None:
    saved_execution(api, 2)
    before = api.counts()
    response = api.client.delete(f"/orders/{UNKNOWN_ARN}")
    assert response.status_code == 404
    assert "never-started" in response.json()["detail"]
    assert api.counts() == before


@pytest.mark.parametrize("arn", MALFORMED_ARNS)
def test_delete_malformed_arn_is_422(sqlite_api, arn) -> None:
    saved_execution(sqlite_api, 2)
    before = sqlite_api.counts()
    response = sqlite_api.client.delete(f"/orders/{arn}")
    assert response.status_code == 422
    assert "execution_arn" in response.text
    assert sqlite_api.counts() == before


def test_a_results_store_failure_keeps_the_rows_and_gives_the_execution_back(sqlite_api, monkeypatch) -> None:
    arn = saved_execution(sqlite_api, 2)
    before = sqlite_api.counts()

    def broken(_keys):
        raise OSError("disk gone")

    monkeypatch.setattr(sqlite_api.store, "delete", broken)
    with pytest.raises(OSError, match="disk gone"):  # TestClient re-raises; a server answers 500
        sqlite_api.client.delete(f"/orders/{arn}")
    assert sqlite_api.counts() == before
    assert sqlite_api.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
