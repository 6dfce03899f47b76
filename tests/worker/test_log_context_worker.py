"""A worker invocation's log lines, the Bitget client's retries included, carry its execution, symbol and stream.

The worker pages a sandbox exchange over loopback that answers every request with a 429 (or a 5xx): each request
is retried once by the client (its "bitget retry" line), then given a second pass by the shard ("second pass").
The lines are read as the JSON handler writes them (common/logs.py).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lambda_functions.common.bitget import BitgetClient, Credentials, RateLimiter, RetryPolicy
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.common.streams import market_of
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from tests.common.test_log_context import json_lines
from tests.worker.conftest import make_run

pytestmark = pytest.mark.sandbox

PROFILE: dict[str, Any] = {
    "name": "log-context",
    "days": 10,
    "symbols": [
        {"symbol": "AAAUSDT", "orders": {"spot_normal": 30, "USDT-FUTURES": 20}},
        {"symbol": "BBBUSDT", "orders": {"spot_normal": 10, "USDT-FUTURES": 40}},
    ],
}
HISTORY_PATHS = {ep.SPOT_HISTORY_ORDERS, ep.FUTURES_HISTORY_ORDERS}
CORRELATION = ("execution", "symbol", "stream")


@pytest.fixture
def exchange(make_sandbox):
    return make_sandbox(PROFILE, seed=3, enforce_rate_limits=False)


def _extract(
    exchange, store: LocalResultsStore, symbol: str, execution: str, **settings: Any
) -> dict[str, Any]:
    client = BitgetClient(
        exchange.base_url,
        Credentials("sandbox-key", "sandbox-secret", "sandbox-pass"),
        retry=RetryPolicy(retries=1, base_delay_s=0.0, max_delay_s=0.0),
        limiter=RateLimiter(dict.fromkeys(ep.PUBLISHED_LIMITS, 2000.0)),
        sleep=lambda seconds: None,
    )
    return extract_symbol(WorkerRequest(symbol, execution), make_run(client, store, **settings))


@pytest.mark.slow  # each 429 holds its path back for a second
def test_the_clients_retry_lines_carry_the_execution_symbol_and_stream(exchange, store):
    # WHEN one invocation meets a 429 on every request
    exchange.set_faults(burst_429=1.0)
    with json_lines() as lines:
        # no second pass: after a 429 the path is held back for a second each time
        summary = _extract(exchange, store, "AAAUSDT", "logs-a", second_passes=0)
    assert summary["errors"]  # the 429s were real: the streams ended rate-limited

    # THEN every retry line names the invocation
    retries = [line for line in lines if line["message"] == "bitget retry"]
    assert retries and all((r["execution"], r["symbol"]) == ("logs-a", "AAAUSDT") for r in retries)
    # and a history page's retry names its stream, of the market its endpoint serves; the setup requests
    # (server time, market lists, the account-mode probe) belong to no stream
    paged = [r for r in retries if r["path"] in HISTORY_PATHS]
    assert {r["stream"] for r in paged} >= {"spot_normal", "USDT-FUTURES"}
    assert all((market_of(r["stream"]) == "spot") == (r["path"] == ep.SPOT_HISTORY_ORDERS) for r in paged)
    assert not any("stream" in r for r in retries if r["path"] not in HISTORY_PATHS)
    assert {r["path"] for r in retries} - HISTORY_PATHS  # the setup requests were retried too
    (finished,) = [line for line in lines if line["message"] == "worker finished"]
    assert (finished["execution"], finished["symbol"]) == ("logs-a", "AAAUSDT")


def test_two_concurrent_invocations_do_not_mix_their_fields(exchange, store):
    # WHEN two invocations run at once on two threads, as the embedded runner runs a Map's items
    runs = [("AAAUSDT", "logs-a"), ("BBBUSDT", "logs-b")]
    exchange.set_faults(error_5xx=1.0)  # a 5xx does not hold the path back for a window as a 429 does
    with json_lines() as lines:
        threads = [
            threading.Thread(target=_extract, args=(exchange, store, symbol, execution))
            for symbol, execution in runs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # THEN each line names one invocation, whole: its execution with its own symbol
    correlated = [line for line in lines if "execution" in line]
    pairs = {(line["symbol"], line["execution"]) for line in correlated}
    assert pairs == set(runs)
    assert [line for line in lines if line["message"] == "bitget retry" and "execution" not in line] == []
    for symbol, execution in runs:
        streams = {line.get("stream") for line in correlated if line["execution"] == execution}
        assert {"spot_normal", "USDT-FUTURES"} <= streams, symbol
    # the shards' own lines carry the stream too
    second_passes = [line for line in lines if line["message"] == "second pass"]
    assert len(second_passes) >= 4 and all("stream" in line for line in second_passes)
