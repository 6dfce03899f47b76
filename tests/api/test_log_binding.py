"""The API binds the correlation fields a request's path names once (app/api/log_binding.py): every line the
request logs, in a sync route's threadpool call too, carries them; nothing leaks into the next request."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.log_binding import LogBindingMiddleware, path_fields
from tests.api.fakes import EXPRESS_PREFIX
from tests.api.test_delete import saved_execution
from tests.common.test_log_context import json_lines

ARN = "arn:aws:states:us-east-1:123456789012:execution:bitget-orders:20261129T120000Z-abc-123456"
log = logging.getLogger("tests.log_binding")


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (f"/orders/{ARN}", {"execution": "20261129T120000Z-abc-123456"}),
        (f"/orders/{ARN}/fills/export", {"execution": "20261129T120000Z-abc-123456"}),
        (f"/orders/{EXPRESS_PREFIX}name-1:run-1/database", {"execution": "name-1"}),
        (f"/ui/executions/{ARN}/live", {"execution": "20261129T120000Z-abc-123456"}),
        ("/ui/accounts/1234567890", {"account": "1234567890"}),
        ("/ui/fragments/executions", {}),
        ("/orders/list", {}),
        ("/orders", {}),
        ("/accounts/1234567890/orders", {"account": "1234567890"}),
        ("/accounts/" + "9" * 33, {}),  # not an account id: nothing of it is logged
        ("/accounts/a b", {}),
        ("/health", {}),
    ],
)
def test_the_fields_a_path_names(path: str, fields: dict[str, str]) -> None:
    assert path_fields(path) == fields


def _logging_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(LogBindingMiddleware)

    @app.get("/orders/{arn}")
    def sync_route(arn: str) -> dict[str, str]:  # FastAPI runs it in its threadpool
        log.info("sync route")
        return {}

    @app.get("/accounts/{account}")
    async def async_route(account: str) -> dict[str, str]:
        log.info("async route")
        return {}

    return app


def test_a_requests_lines_carry_its_fields_and_the_next_request_does_not_inherit_them() -> None:
    with TestClient(_logging_app()) as client, json_lines() as lines:
        assert client.get(f"/orders/{ARN}").status_code == 200
        assert client.get("/accounts/42").status_code == 200
        assert client.get("/orders/list").status_code == 200
    ours = [line for line in lines if line["logger"] == log.name]  # not the test client's own lines
    by_message = [(line["message"], line.get("execution"), line.get("account")) for line in ours]
    assert by_message == [
        ("sync route", "20261129T120000Z-abc-123456", None),
        ("async route", None, "42"),
        ("sync route", None, None),
    ]


def test_the_service_binds_the_execution_of_a_delete(sqlite_api) -> None:
    # GIVEN a saved execution
    arn = saved_execution(sqlite_api)
    # WHEN it is deleted
    with json_lines() as lines:
        assert sqlite_api.client.delete(f"/orders/{arn}").status_code == 200
    # THEN the service's line names it by the execution field, bound once for the request
    (deleted,) = [line for line in lines if line["message"] == "execution deleted"]
    assert deleted["execution"] == arn.split(":")[7]
