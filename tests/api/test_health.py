"""GET /, /health, /info (modes in use, no secrets) and the OpenAPI page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from app.main import Exchange, Overrides, create_app
from lambda_functions.common.results_store import LocalResultsStore
from tests.api.conftest import TestClient, test_settings
from tests.api.fakes import FakeOrchestrator, FakeSymbolsClient

SECRETS = {
    "bitget_api_key": "bg-key-SECRET-1",
    "bitget_api_secret": "bg-secret-SECRET-2",
    "bitget_api_passphrase": "bg-pass-SECRET-3",
    "aws_access_key_id": "AKIASECRET4",
    "aws_secret_access_key": "aws-secret-SECRET-5",
    "mysql_password": "mysql-pw-SECRET-6",
}


def test_root_and_health(sqlite_api) -> None:
    root = sqlite_api.client.get("/").json()
    assert root["message"] == "Bitget Orders API"
    assert (root["docs"], root["redoc"], root["health"]) == ("/docs", "/redoc", "/health")
    assert sqlite_api.client.get("/health").json() == {
        "status": "healthy",
        "service": "Bitget Orders API",
        "version": "1.0.0",
    }


def test_info_reports_modes(sqlite_api) -> None:
    info = sqlite_api.client.get("/info").json()
    assert info["configuration"]["valid"] is True
    assert info["modes"] == {
        "orchestration": "fake",
        "results_store": "local",
        "database": "sqlite",
        "exchange": "none",
    }
    assert info["results_store"]["base_url"] == "http://127.0.0.1:8000/results"
    assert info["endpoints"]["orders"] == "/orders"


def test_info_checks_every_part_live(sqlite_api) -> None:
    # GIVEN a running service whose database, results store and exchange all answer
    info = sqlite_api.client.get("/info").json()["configuration"]
    # THEN every check passes and the configuration is valid
    assert info["checks"] == {
        "configuration": True,
        "database": True,
        "results_store": True,
        "exchange": True,
    }
    assert (info["valid"], info["problems"]) == (True, [])
    assert sqlite_api.store.list_keys("") == []  # the store probe leaves nothing behind


def test_info_is_invalid_when_the_exchange_is_unreachable(sqlite_api) -> None:
    # GIVEN an exchange that refuses connections
    sqlite_api.symbols.fail = True
    # WHEN /info is asked
    info = sqlite_api.client.get("/info").json()["configuration"]
    # THEN the exchange check fails, valid is false, and the problem is named
    assert info["checks"]["exchange"] is False
    assert info["checks"]["database"] is True
    assert info["valid"] is False
    assert info["problems"] == ["exchange: BitgetTransportError"]


def test_info_is_invalid_when_the_results_store_is_not_writable(sqlite_api, monkeypatch) -> None:
    def refuse(key, obj):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sqlite_api.store, "put_json", refuse)
    info = sqlite_api.client.get("/info").json()["configuration"]
    assert (info["checks"]["results_store"], info["valid"]) == (False, False)
    assert info["problems"] == ["results_store: PermissionError"]


def test_info_is_invalid_when_the_database_is_unreachable(sqlite_api, monkeypatch) -> None:
    runtime = sqlite_api.client.app.state.runtime
    runtime.health.engine.dispose()
    monkeypatch.setattr(runtime.health, "engine", create_engine("sqlite:////nonexistent-dir/x/db.sqlite"))
    info = sqlite_api.client.get("/info").json()["configuration"]
    assert (info["checks"]["database"], info["valid"]) == (False, False)
    assert info["problems"] == ["database: OperationalError"]


def test_info_never_shows_a_secret(tmp_path: Path, monkeypatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = test_settings(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, **SECRETS)
    store = LocalResultsStore(tmp_path / "results", "http://127.0.0.1:8000/results")
    app = create_app(settings, overrides=Overrides(FakeOrchestrator(store), FakeSymbolsClient(), store))
    with TestClient(app) as client:
        body = client.get("/info").text
        assert client.get("/info").json()["exchange"]["credentials_configured"] is True
    for secret in SECRETS.values():
        assert secret not in body
    # the AWS keys of the settings reach boto3 in a Session: the process environment never gets them
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ


def test_openapi_documents_every_endpoint_with_summary_and_limits(sqlite_api) -> None:
    spec = sqlite_api.client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        ("/", "get"), ("/health", "get"), ("/info", "get"), ("/orders", "post"), ("/orders/list", "get"),
        ("/orders/{execution_arn}", "get"), ("/orders/{execution_arn}/database", "get"),
        ("/orders/{execution_arn}/save-from-url", "post"), ("/symbols", "get"), ("/results/{key}", "get"),
        ("/orders/{execution_arn}", "delete"), ("/orders/{execution_arn}/cancel", "post"),
        ("/orders/{execution_arn}/resume", "post"), ("/orders/{execution_arn}/export", "get"),
        ("/accounts", "get"), ("/accounts/{account_id}", "get"), ("/accounts/{account_id}/orders", "get"),
        ("/accounts/{account_id}/orders/export", "get"), ("/accounts/{account_id}/sync", "post"),
        ("/accounts/{account_id}/fills", "get"), ("/accounts/{account_id}/fills/export", "get"),
        ("/orders/{execution_arn}/fills", "get"), ("/orders/{execution_arn}/fills/export", "get"),
        ("/orders/{execution_arn}/progress", "get"),
    }  # fmt: skip
    assert {(p, m) for p, ops in paths.items() for m in ops} == expected
    assert all(op.get("summary") for ops in paths.values() for op in ops.values())
    params = {p["name"]: p for p in paths["/orders/{execution_arn}/database"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 100
    assert params["skip"]["schema"]["minimum"] == 0
    assert spec["components"]["schemas"]["OrdersRequest"]["examples"]
    assert sqlite_api.client.get("/docs").status_code == 200
    assert sqlite_api.client.get("/redoc").status_code == 200


def exchange_app(tmp_path: Path, exchange: Exchange, **settings: Any) -> Any:
    values = test_settings(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, **settings)
    store = LocalResultsStore(tmp_path / "results", "http://127.0.0.1:8000/results")
    overrides = Overrides(FakeOrchestrator(store), FakeSymbolsClient(), store, exchange=exchange)
    return create_app(values, overrides=overrides)


def sandbox_exchange(server: Any, passphrase: str | None = None) -> Exchange:
    creds = server.credentials
    return Exchange(
        "sandbox", server.base_url, creds.api_key, creds.api_secret, passphrase or creds.passphrase
    )


@pytest.mark.sandbox
def test_info_reports_the_authenticated_account_check(tmp_path: Path, sandbox) -> None:
    # GIVEN a service whose exchange (the sandbox) accepts its key
    with TestClient(exchange_app(tmp_path, sandbox_exchange(sandbox))) as client:
        info = client.get("/info").json()
        again = client.get("/info").json()
    # THEN /info shows a signed check that passed, with the account's userId
    assert info["configuration"]["checks"]["account"] is True
    assert info["configuration"]["valid"] is True
    assert (info["account"]["status"], info["account"]["account_id"]) == ("ok", sandbox.app.account.user_id)
    assert again["account"] == info["account"]  # remembered: Bitget allows this endpoint once per second
    assert sandbox.stats()["endpoints"]["/api/v2/spot/account/info"]["requests"] == 1


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("options", "passphrase", "problem", "code"),
    [
        ({}, "wrong-passphrase-SECRET", "credentials", "40012"),
        ({"deny": "ip"}, None, "ip_not_allowed", "40018"),
    ],
)
def test_info_reports_a_refused_account_with_bitgets_code(
    tmp_path, make_sandbox, options, passphrase, problem, code
):
    server = make_sandbox("demo", seed=8, **options)
    with TestClient(exchange_app(tmp_path, sandbox_exchange(server, passphrase))) as client:
        response = client.get("/info")
    info = response.json()
    assert info["configuration"]["checks"]["account"] is False
    assert info["configuration"]["checks"]["exchange"] is True  # reachable, but the key is refused
    assert info["configuration"]["valid"] is False
    assert (info["account"]["status"], info["account"]["problem"], info["account"]["code"]) == (
        "rejected",
        problem,
        code,
    )
    assert info["account"]["bitget_message"] in info["account"]["message"]
    assert any(p.startswith("account: rejected") and code in p for p in info["configuration"]["problems"])
    assert "wrong-passphrase-SECRET" not in response.text


def test_info_in_aws_mode_without_local_credentials_says_the_coordinator_checks(tmp_path: Path) -> None:
    store = LocalResultsStore(tmp_path / "results", "http://127.0.0.1:8000/results")
    settings = test_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, orchestration_mode="aws",
        coord_lambda_name="bitget-coordinator", results_bucket="bucket",
    )  # fmt: skip
    app = create_app(settings, overrides=Overrides(FakeOrchestrator(store), FakeSymbolsClient(), store))
    with TestClient(app) as client:
        info = client.get("/info").json()
    assert info["account"]["status"] == "not_checked"
    assert "coordinator Lambda checks the account" in info["account"]["message"]
    assert "account" not in info["configuration"]["checks"]
