"""The OpenAPI page (app/api/openapi.py): every example it shows is valid, its placeholders render, and its
description explains the workflow, the stream names and the error categories."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.api.openapi import escape_placeholders
from app.schemas.orders import EXAMPLE_ARN

PATH_VALUES = {
    "execution_arn": EXAMPLE_ARN,
    "account_id": "6281043197",
    "key": "bitget-results/x/result.json",
}
_CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
_RAW_PLACEHOLDER = re.compile(r"<[A-Za-z_][^<>\n]*>")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(document["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def request_examples(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(method, path, body) for every request-body example the page shows."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            examples = list(content.get("examples", {}).values())
            examples = [e["value"] for e in examples] + ([content["example"]] if "example" in content else [])
            schema = _resolve(document, content["schema"])
            for option in [schema, *schema.get("anyOf", [])]:
                examples += _resolve(document, option).get("examples", [])
            found += [(method, path, example) for example in examples]
    return found


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: PATH_VALUES[m.group(1)], path)


def test_every_request_body_example_is_accepted(sqlite_api) -> None:
    # GIVEN the page the service serves
    document = sqlite_api.client.get("/openapi.json").json()
    examples = request_examples(document)
    assert len(examples) >= 6  # POST /orders alone shows six
    for method, path, body in examples:
        # WHEN each example is sent as it is shown
        response = sqlite_api.client.request(method.upper(), _fill(path), json=body)
        # THEN the API takes it (the fake orchestrator starts it; a 409/404 is about state, not the body)
        assert response.status_code not in (400, 413, 422) and response.status_code < 500, (
            path,
            body,
            response.text,
        )


def test_a_wrong_example_would_be_caught(sqlite_api) -> None:
    """The collector finds the examples the test relies on, and a body like them but wrong is refused."""
    document = sqlite_api.client.get("/openapi.json").json()
    bodies = [body for _, path, body in request_examples(document) if path == "/orders"]
    assert {"since": "last_sync"} in bodies and {} in bodies
    assert sqlite_api.client.post("/orders", json={"symbols": ["BTC-USDT"]}).status_code == 422


def test_the_window_example_lies_inside_bitgets_retention(sqlite_api) -> None:
    document = sqlite_api.client.get("/openapi.json").json()
    windows = [body for _, _, body in request_examples(document) if "start_ms" in body]
    assert windows, "an example shows a window"
    response = sqlite_api.client.post("/orders", json=windows[0])
    assert response.status_code == 202 and response.json()["window_clamped"] is False, response.text


def api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, also inside included routers (FastAPI includes them lazily)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def response_models(app: Any) -> list[tuple[str, Any]]:
    return [(path, route.response_model) for path, route in api_routes(app.routes) if route.response_model]


def test_every_response_example_validates_against_its_model(sqlite_api) -> None:
    app = sqlite_api.client.app
    document = sqlite_api.client.get("/openapi.json").json()
    checked: set[str] = set()
    for path, model in response_models(app):
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
        for example in schema.get("examples", []):
            TypeAdapter(model).validate_python(example)  # raises, naming the field, when an example is wrong
            checked.add(model.__name__)
        for status, answer in document["paths"].get(path, {}).get("get", {}).get("responses", {}).items():
            example = answer.get("content", {}).get("application/json", {}).get("example")
            if example is not None and status.startswith("2"):
                TypeAdapter(model).validate_python(example)
    # every schema on the page that shows examples was checked (request bodies by the test above)
    shown = {name for name, schema in document["components"]["schemas"].items() if "examples" in schema}
    requests = {"OrdersRequest", "SyncRequest"}
    assert shown - requests <= checked and len(checked) >= 10, shown - requests - checked


def _descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["description"]] if isinstance(node.get("description"), str) else []
        return found + [
            d
            for key, value in node.items()
            if key not in ("examples", "example")
            for d in _descriptions(value)
        ]
    if isinstance(node, list):
        return [d for item in node for d in _descriptions(item)]
    return []


def test_placeholders_render_no_description_holds_a_raw_tag(sqlite_api) -> None:
    document = sqlite_api.client.get("/openapi.json").json()
    for text in _descriptions(document):
        outside_code = _CODE.sub("", text)
        assert not _RAW_PLACEHOLDER.search(outside_code), text
    arn = next(
        p
        for p in document["paths"]["/orders/{execution_arn}"]["get"]["parameters"]
        if p["name"] == "execution_arn"
    )
    assert "arn:aws:states:&lt;region&gt;:&lt;account&gt;:execution:" in arn["description"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("arn:aws:states:<region>:<account>", "arn:aws:states:&lt;region&gt;:&lt;account&gt;"),
        (
            "`GET /accounts/<account_id>` then <account_id>",
            "`GET /accounts/<account_id>` then &lt;account_id&gt;",
        ),
        ("```\n<kept>\n```\n<x>", "```\n<kept>\n```\n&lt;x&gt;"),
        ("limit <= 100, a < b > c", "limit <= 100, a < b > c"),
        ("``a ` <b>`` <c>", "``a ` <b>`` &lt;c&gt;"),
    ],
)
def test_escape_placeholders(text: str, shown: str) -> None:
    assert escape_placeholders(text) == shown


def test_the_description_explains_workflow_streams_and_errors(sqlite_api) -> None:
    document = sqlite_api.client.get("/openapi.json").json()
    text = document["info"]["description"]
    for words in (
        "start → poll (or wait) → query",
        "POST /orders",
        "`GET /orders/<executionArn>`",
        "/database",
    ):
        assert words in text, words
    for stream in (
        "spot_normal",
        "spot_plan",
        "USDT-FUTURES_plan",
        "spot_fills",
        "uta_SPOT",
        "uta_SPOT_fills",
    ):
        assert f"`{stream}`" in text, stream
    for status in ("| 400 |", "| 404 |", "| 409 |", "| 413 |", "| 422 |", "| 502 |"):
        assert status in text, status
    assert {tag["name"] for tag in document["tags"]} >= {"orders", "accounts", "symbols", "results", "health"}


def test_the_page_is_rebuilt_after_an_hour() -> None:
    from fastapi import FastAPI

    from app.api.openapi import REBUILD_AFTER_S, describe_api

    now = [1000.0]
    app = FastAPI()
    describe_api(app, clock=lambda: now[0])
    first = app.openapi()
    assert app.openapi() is first
    now[0] += REBUILD_AFTER_S + 1
    assert app.openapi() is not first
