"""Bad input never gets a 500, and errors stay small: results keys the filesystem cannot look up, NaN and
Infinity in JSON bodies, oversized bodies (413), huge symbols and symbol lists (app/api/body_limit.py,
json_guard.py, errors.py, routes/results.py, coordinator/validation.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.api.errors import MAX_ERRORS, preview
from app.api.json_guard import body_problem
from app.schemas import orders as order_schemas

JSON = {"content-type": "application/json"}


# ---- /results ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("bitget-results/a%00b/result.json", "control characters (such as a NUL byte)"),
        ("bitget-results/x/%01", "control characters"),
        ("bitget-results/" + "a" * 300 + "/result.json", "a name of 300 bytes (at most 255"),
        ("bitget-results/x/" + "b" * 300, "a name of 300 bytes"),
        ("bitget-results/" + "c/" * 600 + "r.json", "characters (at most 1024)"),
    ],
)
def test_results_keys_no_file_can_have_are_400_naming_why(sqlite_api, key: str, words: str) -> None:
    (sqlite_api.store.root / "bitget-results" / "x").mkdir(parents=True)
    response = sqlite_api.client.get(f"/results/{key}")
    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]


def test_an_undecodable_results_key_is_404_and_a_long_one_is_quoted_short(sqlite_api) -> None:
    for key in (
        "bitget-results/x/%ff",
        "bitget-results/x/%ed%a0%80.json",
        "bitget-results/" + "d/" * 200 + "x",
    ):
        response = sqlite_api.client.get(f"/results/{key}")
        assert response.status_code == 404, (key, response.text)
        assert len(response.json()["detail"]) < 200


# ---- NaN, Infinity and numbers out of range ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "loc", "literal"),
    [
        (b'{"symbols": ["BTCUSDT"], "start_ms": NaN}', ["body", "start_ms"], "NaN"),
        (b'{"symbols": ["BTCUSDT", Infinity]}', ["body", "symbols", 1], "Infinity"),
        (b'{"end_ms": -Infinity}', ["body", "end_ms"], "-Infinity"),
        (b'{"symbols": ["BTCUSDT"], "end_ms": 1e999}', ["body", "end_ms"], "1e999"),
    ],
)
def test_non_finite_numbers_are_422_naming_the_field_and_change_nothing(
    sqlite_api, body, loc, literal
) -> None:
    before = sqlite_api.counts()
    response = sqlite_api.client.post("/orders", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert (error["loc"], error["input"], error["type"]) == (loc, literal, "json_invalid")
    assert literal in error["msg"]
    assert sqlite_api.counts() == before and sqlite_api.orchestrator.started == []


def test_nan_in_the_sync_body_is_refused_too(sqlite_api) -> None:
    response = sqlite_api.client.post("/accounts/123/sync", content=b'{"include_fills": NaN}', headers=JSON)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "include_fills"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"symbols": ["\xff"]}', "not UTF-8"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (b'{"start_ms": ' + b"9" * 5000 + b"}", "thousands of digits"),
    ],
)
def test_bodies_python_cannot_parse_are_422_saying_why(sqlite_api, body: bytes, words: str) -> None:
    response = sqlite_api.client.post("/orders", content=body, headers=JSON)
    assert response.status_code == 422 and words in response.json()["detail"][0]["msg"], response.text


def test_plain_malformed_json_is_still_fastapis_own_422() -> None:
    assert body_problem(b'{"symbols": [') is None
    assert body_problem(b'{"a": [1, 2.5, "NaN"]}') is None  # the string "NaN" is fine


# ---- body size --------------------------------------------------------------------------------------------------
def test_a_body_over_the_limit_is_413_naming_the_setting(sqlite_api) -> None:
    body = json.dumps({"symbols": ["A" * (2 * 1024 * 1024)]}).encode()
    response = sqlite_api.client.post("/orders", content=body, headers=JSON)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{len(body)} bytes" in detail and "1048576 bytes (MAX_REQUEST_BODY_BYTES)" in detail
    assert sqlite_api.orchestrator.started == []


def test_a_chunked_body_over_the_limit_is_413_too(sqlite_api) -> None:
    def chunks():
        yield b'{"symbols": ["'
        for _ in range(20):
            yield b"A" * 65536
        yield b'"]}'

    response = sqlite_api.client.post("/orders", content=chunks(), headers=JSON)
    assert response.status_code == 413 and "more than 1048576 bytes" in response.json()["detail"]


def test_the_limit_is_a_setting_and_a_body_under_it_passes(make_api, sqlite_url) -> None:
    api = make_api(sqlite_url, max_request_body_bytes=2048)
    assert api.client.post("/orders", json={"symbols": ["BTCUSDT"]}).status_code == 202
    assert api.client.post("/orders", json={"symbols": ["BTCUSDT"] * 300}).status_code == 413


# ---- short errors -----------------------------------------------------------------------------------------------
def test_a_10_mb_symbol_gets_a_short_422(make_api, sqlite_url) -> None:
    api = make_api(sqlite_url, max_request_body_bytes=16 * 1024 * 1024)
    response = api.client.post("/orders", json={"symbols": ["A" * 10_000_000]})
    assert response.status_code == 422
    assert len(response.content) < 2000  # it was 20 MB: the symbol twice
    (error,) = response.json()["detail"]
    assert "invalid symbol 'AAAA" in error["msg"] and "(10000000 characters)" in error["msg"]
    assert error["input"][0].endswith("... (10000000 characters)")


def test_a_long_value_in_any_field_is_quoted_short(sqlite_api) -> None:
    response = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT"], "since": "x" * 100_000})
    assert response.status_code == 422 and len(response.content) < 2000
    response = sqlite_api.client.post("/orders", json={"B" * 100_000: 1})
    assert response.status_code == 422 and len(response.content) < 2000


def test_many_errors_are_listed_up_to_a_bound(sqlite_api) -> None:
    body = {"symbols": ["BTCUSDT"], **{f"unknown_{i}": i for i in range(100)}}
    response = sqlite_api.client.post("/orders", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1]["type"] == "too_many_errors" and "80 more errors" in errors[-1]["msg"]


def test_preview_is_bounded_and_json_safe() -> None:
    assert preview("x" * 1000).endswith("... (1000 characters)") and len(preview("x" * 1000)) < 130
    assert preview(float("nan")) == "nan" and preview(float("-inf")) == "-inf"
    assert preview(list(range(10**6))) == [0, 1, 2, 3, 4, "... 1000000 items in all"]
    assert preview({"k": "v" * 500})["k"].endswith("(500 characters)")
    assert preview(10**50) == "an integer of 167 bits"
    json.dumps(preview({"a": [float("inf")] * 9}), allow_nan=False)  # encodes


# ---- symbol counts ----------------------------------------------------------------------------------------------
def test_a_huge_symbol_list_is_refused_before_any_symbol_is_read(make_api, sqlite_url, monkeypatch) -> None:
    api = make_api(sqlite_url, max_request_body_bytes=8 * 1024 * 1024)
    calls: list[Any] = []
    real = order_schemas.normalise_symbol

    def counting_normalise(raw: Any) -> str:
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr(order_schemas, "normalise_symbol", counting_normalise)
    symbols = [f"S{i}" for i in range(50_000)]
    response = api.client.post("/orders", json={"symbols": symbols})
    assert response.status_code == 422
    assert "too many symbols: 50000 given" in response.json()["detail"][0]["msg"]
    assert calls == []
    assert len(response.content) < 2000


def test_past_max_symbols_by_more_than_the_slack_the_service_refuses_unread(sqlite_api) -> None:
    # test settings: MAX_SYMBOLS=5; 1,006 entries are more than 5 + 1,000
    response = sqlite_api.client.post("/orders", json={"symbols": [f"S{i}" for i in range(1006)]})
    assert response.status_code == 400, response.text
    assert "too many symbols: 1006 given (at most 5 per request, MAX_SYMBOLS)" in response.json()["detail"]
    # duplicates within the slack collapse to what MAX_SYMBOLS allows
    response = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT"] * 1000})
    assert response.status_code == 202 and response.json()["symbols"] == ["BTCUSDT"]


def test_unexpected_errors_are_a_json_500_without_internals(sqlite_api, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(sqlite_api.client.app.state.runtime.orders, "list_executions", broken)
    client = TestClient(sqlite_api.client.app, raise_server_exceptions=False)
    response = client.get("/orders/list")
    assert response.status_code == 500
    assert "RuntimeError" in response.json()["detail"] and "secret internals" not in response.text
