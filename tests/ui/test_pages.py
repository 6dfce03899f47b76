"""GET /ui, /ui/executions/{arn}, /ui/accounts/{id} and the offline /docs and /redoc, through the app with a
fake orchestrator: what the HTML says in each state, and every bad address a friendly page, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from app.core.db import make_engine
from lambda_functions.common.keys import checkpoint_key
from lambda_functions.common.timewindow import DAY_MS
from tests.api.conftest import Api
from tests.api.fakes import UNKNOWN_ARN, order
from tests.services.ledger_fixtures import BASE_MS, LedgerWriter, make_ledger_orders

ACCOUNT = "1187837411"
LEDGER_ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:ledger-reads"


def html(api: Api, path: str, status: int = 200) -> str:
    response = api.client.get(path)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_the_list_before_and_after_an_execution_starts(sqlite_api: Api) -> None:
    assert "No execution yet" in html(sqlite_api, "/ui")
    arn = sqlite_api.start()
    page = html(sqlite_api, "/ui")
    assert f'href="/ui/executions/{arn}"' in page and "BTCUSDT, ETHUSDT" in page
    assert '<span class="badge run"' in page and 'data-live-src="/ui/fragments/executions?skip=0"' in page
    assert 'id="start-form"' in page
    fragment = html(sqlite_api, "/ui/fragments/executions")
    assert fragment.startswith('<section id="executions"') and arn in fragment
    sqlite_api.orchestrator.succeed(arn, [order(i) for i in range(3)])
    sqlite_api.client.get(f"/orders/{arn}")  # as the page's poll does: the status is recorded, orders saved
    page = html(sqlite_api, "/ui")
    assert "data-live-src" not in page.split('id="start"')[0]  # nothing runs: the list stops refreshing


def test_a_running_execution_shows_its_workers_progress(sqlite_api: Api) -> None:
    arn = sqlite_api.start()
    name = arn.rsplit(":", 1)[-1]
    page = html(sqlite_api, f"/ui/executions/{arn}")
    assert 'data-live-src="/ui/executions/' in page and "Waiting for the workers' first checkpoint" in page
    checkpoint = {
        "symbol": "BTCUSDT",
        "finished": False,
        "streams": {"spot_normal": {"pages": 4}},
        "shards": [{"stream": "spot_normal", "pages": 4, "kept": 400, "end": None}],
        "client_stats": {"requests": 5, "retries": 0, "http_429": 1},
    }
    sqlite_api.store.put_json(checkpoint_key("bitget-results/", name, "BTCUSDT"), checkpoint)
    fragment = html(sqlite_api, f"/ui/executions/{arn}/live")
    assert fragment.startswith('<div id="execution" data-status="RUNNING"')
    assert "0 of 2 symbols done · 0 of 1 streams done · 400 orders so far · 5 requests · 1 × 429" in fragment
    assert 'data-symbol="BTCUSDT"' in fragment and "spot_normal <b>4 · 400</b>" in fragment
    assert 'data-post="/orders/' in fragment and "/cancel" in fragment  # a running execution can be stopped


def test_a_finished_execution_shows_counts_links_and_an_english_outcome(sqlite_api: Api) -> None:
    arn = sqlite_api.start()
    sqlite_api.orchestrator.succeed(arn, [order(i) for i in range(3)])
    state = sqlite_api.orchestrator.states[arn]
    assert state.output is not None
    state.output["message"] = "Órdenes procesadas exitosamente"
    state.output["summary"] |= {"complete": True, "orders_by_stream": {"spot_normal": 3}}
    page = html(sqlite_api, f"/ui/executions/{arn}")
    assert '<span class="badge ok" id="status-badge"' in page and "Complete: every stream" in page
    assert "Órdenes" not in page
    assert '<td class="mono">spot_normal</td><td class="num">3</td>' in page
    for link in (
        "/database?limit=100",
        "/export?format=csv",
        "/export?format=ndjson",
        "/export?format=parquet",
    ):
        assert f'href="/orders/{arn}{link}' in page
    assert "data-live-src" not in page or "saving" in page
    app = sqlite_api.client.app
    assert isinstance(app, FastAPI)
    served = {getattr(route, "path", None) for route in app.routes}
    fills_api = "/orders/{execution_arn}/fills/export" in served
    assert (f'href="/orders/{arn}/fills/export?format=csv"' in page) == fills_api  # linked once served


def test_a_failed_execution_shows_its_error_escaped(sqlite_api: Api) -> None:
    arn = sqlite_api.start()
    sqlite_api.orchestrator.fail(arn)
    sqlite_api.orchestrator.states[arn].cause = "<script>alert(1)</script> Bitget code 40808"
    page = html(sqlite_api, f"/ui/executions/{arn}")
    assert '<span class="badge bad" id="status-badge"' in page and "States.TaskFailed" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bitget code 40808" in page and "<script>alert" not in page
    assert "/resume" in page  # a failed execution can be resumed from the page


def test_an_incomplete_execution_lists_bitgets_codes(sqlite_api: Api) -> None:
    arn = sqlite_api.start()
    sqlite_api.orchestrator.succeed(arn, [order(0)])
    output = sqlite_api.orchestrator.states[arn].output
    assert output is not None
    summary = output["summary"]
    summary |= {
        "complete": False,
        "incomplete_streams_count": 1,
        "incomplete_streams": [
            {"symbol": "ETHUSDT", "stream": "USDT-FUTURES", "reason": "rate_limit", "error_code": "429",
             "error_message": "Too Many Requests"}
        ],
        "error_summary": {"rate_limit": {"count": 4}},
    }  # fmt: skip
    page = html(sqlite_api, f"/ui/executions/{arn}")
    assert '<span class="badge warn" id="status-badge"' in page and "1 stream not paged to the end" in page
    assert '<td class="mono">429</td><td>Too Many Requests</td>' in page and "rate_limit × 4" in page


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (f"/ui/executions/{UNKNOWN_ARN}", "Execution not found"),
        ("/ui/executions/not-an-arn", "Not an execution ARN"),
        ("/ui/executions/" + "arn:aws:states:x" * 30, "Not an execution ARN"),
        ("/ui/accounts/4242", "Account not found"),
        ("/ui/accounts/bad%20id", "Not an account id"),
    ],
)
def test_bad_addresses_get_a_page_that_says_what_to_do(sqlite_api: Api, path: str, words: str) -> None:
    page = html(sqlite_api, path, 404)
    assert words in page and 'href="/ui"' in page


def test_bad_list_offsets_are_422_not_500(sqlite_api: Api) -> None:
    assert sqlite_api.client.get("/ui?skip=-1").status_code == 422
    assert sqlite_api.client.get("/ui?skip=x").status_code == 422


@pytest.mark.parametrize("ledger_database", ["sqlite"], indirect=True)
def test_the_account_page_draws_coverage_and_gaps(make_api: Callable[..., Api], ledger_database: str) -> None:
    api = make_api(ledger_database, auto_migrate=False)  # the schema comes from the models (fixtures)
    writer = LedgerWriter(make_engine(ledger_database))
    rows = make_ledger_orders(40, ACCOUNT)
    writer.orders(rows)
    writer.execution_with_orders(LEDGER_ARN, ACCOUNT, rows)
    writer.coverage(
        ACCOUNT, "spot_normal", BASE_MS - 130 * DAY_MS, BASE_MS - 120 * DAY_MS, LEDGER_ARN + "-old"
    )
    writer.coverage(ACCOUNT, "spot_normal", BASE_MS - 30 * DAY_MS, BASE_MS, LEDGER_ARN)
    writer.engine.dispose()
    summary = api.client.get(f"/accounts/{ACCOUNT}").json()
    page = html(api, f"/ui/accounts/{ACCOUNT}")
    assert f"/accounts/{ACCOUNT}/sync" in page and 'id="sync-button"' in page
    lane = page.split('data-stream="spot_normal"', 1)[1].split('class="lane ', 1)[0]
    assert lane.count('class="seg covered"') == 2 and 'class="seg gap-lost"' in lane
    gaps = [g for s in summary["streams"] if s["stream"] == "spot_normal" for g in s["gaps"]]
    between = [g for g in gaps if not g["until_now"]]
    assert page.count('<tr class="gap lost">') == sum(1 for g in between if not g["recoverable"]) >= 1
    assert "Not extracted yet: since" in page
    assert "never (the first sync reads the whole 90 days)" in page  # no sync recorded for this account
    assert f"{summary['orders_stored']:,}" in page


def test_docs_and_redoc_load_nothing_from_another_host(sqlite_api: Api) -> None:
    for path, asset in (
        ("/docs", "/ui/static/vendor/swagger-ui-bundle.js"),
        ("/redoc", "/ui/vendor/redoc.standalone.js"),
    ):
        page = html(sqlite_api, path)
        assert asset in page and "https://" not in page and "http://" not in page
        script = sqlite_api.client.get(asset)
        assert script.status_code == 200 and len(script.content) > 500_000
    assert b"cdn.redoc.ly" not in sqlite_api.client.get("/ui/vendor/redoc.standalone.js").content
    assert "validatorUrl" in html(sqlite_api, "/docs")
    for asset in ("/ui/static/ui.css", "/ui/static/ui.js", "/ui/static/vendor/swagger-ui.css"):
        assert sqlite_api.client.get(asset).status_code == 200
    assert "/ui" not in str(sqlite_api.client.get("/openapi.json").json()["paths"])  # the page is not the API
