"""Progress while an execution runs: the status sums it up, GET /orders/{arn}/progress gives it per symbol and
stream (read from the workers' checkpoints, the shape of docs/CONTRACTS.md)."""

from __future__ import annotations

from typing import Any

from lambda_functions.common.keys import checkpoint_key
from tests.api.fakes import ARN_PREFIX, UNKNOWN_ARN

PREFIX = "bitget-results/"


def checkpoint(symbol: str, shards: list[tuple[str, int, int, str | None]], requests: int) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "finished": all(end is not None for *_, end in shards),
        "streams": {stream: {"pages": pages} for stream, pages, _, _ in shards},
        "shards": [{"stream": s, "pages": p, "kept": k, "end": e} for s, p, k, e in shards],
        "client_stats": {"requests": requests, "retries": 0, "http_429": 1},
    }


def test_a_running_execution_reports_streams_records_and_requests_so_far(sqlite_api) -> None:
    started = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"]}).json()
    name = started["execution_name"]
    sqlite_api.store.put_json(
        checkpoint_key(PREFIX, name, "BTCUSDT"),
        checkpoint("BTCUSDT", [("spot_normal", 3, 250, "complete"), ("USDT-FUTURES", 1, 100, None)], 5),
    )
    sqlite_api.store.put_json(
        checkpoint_key(PREFIX, name, "ETHUSDT"), checkpoint("ETHUSDT", [("spot_normal", 1, 40, None)], 2)
    )
    status = sqlite_api.client.get(f"/orders/{started['executionArn']}").json()
    assert status["status"] == "RUNNING"
    assert status["progress"] == {
        "symbols_done": 0,
        "symbols_total": 2,
        "streams_done": 1,
        "streams_total": 3,
        "orders": 390,
        "requests": 7,
        "http_429": 2,
        "requests_limit_per_s": 30,  # still paging: spot history (20/s) and futures history (10/s)
    }
    detail = sqlite_api.client.get(f"/orders/{started['executionArn']}/progress").json()
    btc = next(s for s in detail["symbols"] if s["symbol"] == "BTCUSDT")
    assert [(s["stream"], s["pages"], s["orders"], s["state"]) for s in btc["streams"]] == [
        ("USDT-FUTURES", 1, 100, "open"),
        ("spot_normal", 3, 250, "complete"),
    ]
    assert (detail["symbols_total"], detail["orders"]) == (2, 390)


def test_progress_of_an_unknown_execution_is_404(sqlite_api) -> None:
    answer = sqlite_api.client.get(f"/orders/{UNKNOWN_ARN}/progress")
    assert answer.status_code == 404, answer.text
    assert sqlite_api.client.get(f"/orders/{ARN_PREFIX}nope/progress").status_code == 404
