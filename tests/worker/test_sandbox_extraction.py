"""The worker against the sandbox exchange over loopback: exact equality with the sandbox's ground truth.

Equality is checked twice: as the set of (stream, orderId) and as the full ordered list of order records.
The client's limiter is raised for speed where rate limits are not what a test is about (the sandbox then
does not enforce them either); the benchmark runs with Bitget's real limits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.common.bitget import BitgetClient, Credentials, RateLimiter, RetryPolicy
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.timewindow import DAY_MS
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.budget import Clock
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.wiring import Dependencies
from tests.worker.conftest import PREFIX, worker_settings

pytestmark = pytest.mark.sandbox

SANDBOX_CREDENTIALS = Credentials("sandbox-key", "sandbox-secret", "sandbox-pass")
FAST_LIMITS = dict.fromkeys(ep.PUBLISHED_LIMITS, 2000.0)
HISTORY_PATHS = (
    ep.SPOT_HISTORY_ORDERS,
    ep.SPOT_PLAN_HISTORY,
    ep.FUTURES_HISTORY_ORDERS,
    ep.FUTURES_PLAN_HISTORY,
)

PROFILE: dict[str, Any] = {
    "name": "worker-exact",
    "days": 80,
    "symbols": [
        {
            "symbol": "EDGEUSDT",
            "markets": ["spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"],
            "orders": {"spot_normal": 0, "spot_tpsl": 1, "spot_plan": 99, "USDT-FUTURES": 100,
                       "USDT-FUTURES_plan": 101, "USDC-FUTURES": 250, "COIN-FUTURES_plan": 7},
        },
        {"symbol": "BIGUSDT", "orders": {"spot_normal": 10_000, "USDT-FUTURES": 101}},
        {"symbol": "TIEUSDT", "tie_share": 0.6, "orders": {"spot_normal": 400, "USDT-FUTURES": 350}},
        {"symbol": "HEAVYUSDT", "tie_share": 0.6, "orders": {"spot_normal": 6000, "USDT-FUTURES": 3000}},
        {"symbol": "GONEUSDT", "listed": False,
         "orders": {"spot_normal": 150, "spot_plan": 3, "USDT-FUTURES": 230, "USDT-FUTURES_plan": 12}},
    ],
}  # fmt: skip


def _install(server, store, *, retries: int = 2, **overrides: Any) -> WorkerFunction:
    """The worker handler talking to `server`, writing to `store`."""
    overrides = {"second_pass_pause_s": 0.05, **overrides}
    settings = worker_settings(
        bitget_base=server.base_url, include_plan_orders=True, bitget_retries=retries, **overrides
    )
    clock = Clock()

    def make_client(limiter: RateLimiter) -> BitgetClient:
        return BitgetClient(
            server.base_url,
            SANDBOX_CREDENTIALS,
            timeout_s=settings.bitget_timeout,
            retry=RetryPolicy(retries=retries, base_delay_s=0.01, max_delay_s=0.05),
            limiter=limiter,
        )

    return WorkerFunction(
        Dependencies(
            settings=settings,
            store=store,
            catalog=MarketCatalog(settings.markets_ttl_s),
            breaker=CircuitBreaker(),
            limiters=LimiterPool(lambda share: RateLimiter(FAST_LIMITS, share=share), settings.rate_share),
            make_client=make_client,
            clock=clock,
        )
    )


@pytest.fixture
def exchange(make_sandbox):
    return make_sandbox(PROFILE, seed=7, enforce_rate_limits=False)


@pytest.fixture
def worker(exchange, store) -> WorkerFunction:
    return _install(exchange, store)


def _orders(store, summary) -> list[dict[str, Any]]:
    with store.reader(summary["orders_key"]) as fh:
        return json.load(fh)["orders"]


def _assert_exact(orders: list[dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    assert {(o["stream"], o["orderId"]) for o in orders} == {(t["stream"], t["orderId"]) for t in truth}
    assert orders == truth


def _history_requests(server) -> int:
    endpoints = server.stats()["endpoints"]
    return sum(endpoints.get(path, {}).get("requests", 0) for path in HISTORY_PATHS)


@pytest.mark.slow
@pytest.mark.parametrize("symbol", ["EDGEUSDT", "BIGUSDT", "TIEUSDT"])
def test_every_order_exactly_once_newest_first(exchange, store, symbol, worker):
    summary = worker({"symbol": symbol, "execution": "exact"}, None)
    truth = exchange.truth(symbol, summary["window"]["start_ms"], summary["window"]["end_ms"])
    _assert_exact(_orders(store, summary), truth)
    assert summary["complete"]
    assert summary["errors"] == {}
    assert summary["orders"] == len(truth)
    detail = store.get_json(summary["detail_key"])
    per_stream = {name: s["orders"] for name, s in detail["streams"].items() if s["orders"]}
    expected = {s: n for s, n in PROFILE_COUNTS[symbol].items() if n}
    assert per_stream == expected


PROFILE_COUNTS = {spec["symbol"]: spec["orders"] for spec in PROFILE["symbols"]}


@pytest.mark.slow
def test_heavy_streams_split_into_shards_and_borders_on_equal_ctime_lose_or_double_nothing(
    exchange, store, worker
):
    summary = worker({"symbol": "HEAVYUSDT", "execution": "heavy"}, None)
    orders = _orders(store, summary)
    _assert_exact(
        orders, exchange.truth("HEAVYUSDT", summary["window"]["start_ms"], summary["window"]["end_ms"])
    )
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["spot_normal"]["shards"] > 1
    assert detail["streams"]["USDT-FUTURES"]["shards"] > 1
    ctimes = [o["cTime"] for o in orders if o["stream"] == "spot_normal"]
    assert len(ctimes) - len(set(ctimes)) > 1000  # ties everywhere, borders included


def test_ties_in_ctime_are_all_kept_and_ordered(exchange, store, worker):
    summary = worker({"symbol": "TIEUSDT", "execution": "ties"}, None)
    orders = _orders(store, summary)
    ctimes = [o["cTime"] for o in orders]
    assert len(ctimes) - len(set(ctimes)) > 100  # the profile really has many shared cTimes
    _assert_exact(
        orders, exchange.truth("TIEUSDT", summary["window"]["start_ms"], summary["window"]["end_ms"])
    )


def test_window_longer_than_90_days_is_clamped_and_still_exact(exchange, store, worker):
    now = Clock().wall_ms()
    event = {"symbol": "EDGEUSDT", "execution": "long", "start_ms": now - 200 * DAY_MS, "end_ms": now}
    summary = worker(event, None)
    assert summary["window"]["clamped"] is True
    assert summary["window"]["start_ms"] >= now - 90 * DAY_MS
    _assert_exact(_orders(store, summary), exchange.truth("EDGEUSDT", now - 200 * DAY_MS, now))


# With plan orders: spot normal/tpsl/plan, 3 futures product types and their plan streams.
# One probe per stream: a futures plan stream asks its first planType only (40034 ends it). A USDT-quoted
# name cannot exist in USDC- or COIN-FUTURES: those are not asked; a v1 name says nothing: all are.
PROBES_PER_PATH = {
    "NOPEUSDT": {
        ep.SPOT_HISTORY_ORDERS: 2,
        ep.SPOT_PLAN_HISTORY: 1,
        ep.FUTURES_HISTORY_ORDERS: 1,
        ep.FUTURES_PLAN_HISTORY: 1,
    },
    "BTCUSDT_UMCBL": {
        ep.SPOT_HISTORY_ORDERS: 2,
        ep.SPOT_PLAN_HISTORY: 1,
        ep.FUTURES_HISTORY_ORDERS: 3,
        ep.FUTURES_PLAN_HISTORY: 3,
    },
}


@pytest.mark.parametrize("symbol", ["NOPEUSDT", "BTCUSDT_UMCBL"])
def test_unknown_and_v1_symbols_cost_one_request_per_stream_and_are_not_found(
    exchange, store, symbol, worker
):
    summary = worker({"symbol": symbol, "execution": "unknown"}, None)
    assert summary["errors"] == {"symbol_not_found": 1}  # no market knows it: most likely a typo
    assert summary["orders"] == 0
    assert summary["complete"]
    endpoints = exchange.stats()["endpoints"]
    probes = PROBES_PER_PATH[symbol]
    assert {path: endpoints.get(path, {}).get("requests", 0) for path in HISTORY_PATHS} == probes
    assert _history_requests(exchange) == sum(probes.values())
    assert _orders(store, summary) == []
    detail = store.get_json(summary["detail_key"])
    reasons = {s["reason"] for s in detail["streams"].values()}
    assert reasons == ({"not_listed", "name_rule"} if symbol == "NOPEUSDT" else {"not_listed"})


def test_symbol_missing_from_a_market_costs_one_request_there_and_is_no_error(exchange, store, worker):
    summary = worker({"symbol": "TIEUSDT", "execution": "markets"}, None)
    assert summary["errors"] == {}
    endpoints = exchange.stats()["endpoints"]
    assert endpoints[ep.SPOT_PLAN_HISTORY]["requests"] == 1  # listed in spot: one (empty) page
    # USDT-FUTURES_plan (listed, empty) asks each of its 3 planTypes; USDC-/COIN- plan: not asked (name rule)
    assert endpoints[ep.FUTURES_PLAN_HISTORY]["requests"] == 3
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDC-FUTURES"]["reason"] == "name_rule"
    assert detail["streams"]["USDC-FUTURES"]["not_applicable"]
    assert detail["smart_pagination"]["requests_saved_by_name"] == 4


def test_delisted_symbol_with_history_is_extracted_exactly(exchange, store, worker):
    # GIVEN a symbol the sandbox serves history for but leaves out of every symbol/contract list
    client = BitgetClient(exchange.base_url, None)
    assert "GONEUSDT" not in {row["symbol"] for row in client.spot_symbols()}
    assert "GONEUSDT" not in {row["symbol"] for row in client.futures_contracts("USDT-FUTURES")}
    # WHEN the worker extracts it
    summary = worker({"symbol": "GONEUSDT", "execution": "delisted"}, None)
    # THEN every order is there, exactly, and the markets that never had it are merely not applicable
    truth = exchange.truth("GONEUSDT", summary["window"]["start_ms"], summary["window"]["end_ms"])
    assert len(truth) == 150 + 3 + 230 + 12
    _assert_exact(_orders(store, summary), truth)
    assert summary["complete"]
    assert summary["errors"] == {}
    detail = store.get_json(summary["detail_key"])
    assert detail["smart_pagination"]["unlisted_markets_with_orders"] == 4
    assert detail["streams"]["USDT-FUTURES"]["listed"] is False
    assert detail["streams"]["USDT-FUTURES"]["pages"] == 4  # 100 + 100 + 30 + the empty page
    assert detail["streams"]["COIN-FUTURES"]["reason"] == "name_rule"  # USDT-quoted: never coin-margined


@pytest.mark.slow
def test_ten_percent_faults_within_the_retry_budget_change_nothing(exchange, store):
    worker = _install(exchange, store, retries=6)
    exchange.set_faults(error_5xx=0.04, reset=0.03, truncate=0.03)
    summary = worker({"symbol": "EDGEUSDT", "execution": "faults"}, None)
    assert summary["retries"] > 0
    assert sum(exchange.stats()["faults"].values()) > 0
    assert summary["complete"]
    assert summary["errors"] == {}
    _assert_exact(_orders(store, summary), exchange.truth("EDGEUSDT", summary["window"]["start_ms"]))


def test_faults_beyond_the_retry_budget_are_categorised_not_raised(exchange, store):
    worker = _install(exchange, store, retries=0)
    exchange.set_faults(error_5xx=1.0)
    summary = worker({"symbol": "EDGEUSDT", "execution": "broken"}, None)
    assert summary["complete"] is False
    # the market lists failed too; the name still rules out USDC- and COIN-FUTURES: the 5 other streams failed,
    # each after a second pass
    assert summary["errors"] == {"server_error": 5}
    detail = store.get_json(summary["detail_key"])
    assert {s["second_passes"] for s in detail["streams"].values() if not s["not_applicable"]} >= {1}
    assert detail["clock"]["source"] == "local"  # the server time failed too: the detail says so
    assert summary["orders"] == 0
    assert len(json.dumps(summary)) < 1024


def test_rate_limited_beyond_the_retry_budget_is_rate_limit(exchange, store):
    worker = _install(exchange, store, retries=0)
    worker({"symbol": "TIEUSDT", "execution": "warm"}, None)  # a warm process has its market lists
    exchange.reset()
    exchange.set_faults(burst_429=1.0)
    summary = worker({"symbol": "TIEUSDT", "execution": "limited"}, None)
    # every stream the name allows (spot normal/tpsl/plan, USDT-FUTURES and its plan): a 429 says nothing about
    # the symbol; each query is asked, paused, asked again (its second pass), then given up
    assert summary["errors"] == {"rate_limit": 5}
    # + the server time read, + the account-mode probe (the event names no mode: a 429 there proves nothing,
    # the worker reads the classic endpoints)
    assert summary["http_429"] == summary["requests"] == 1 + 1 + 2 * (4 + 3)
    assert exchange.stats()["endpoints"].get(ep.SPOT_SYMBOLS) is None  # lists came from the cache


def test_time_budget_exhausted_near_the_deadline_is_incomplete_and_keeps_a_true_prefix(exchange, store):
    worker = _install(exchange, store, max_execution_time=1.5, budget_safety_margin_s=0.5)
    exchange.set_faults(latency_ms=120)
    # the execution's deadline is too near for another invocation: the worker reports what it has
    deadline_ms = Clock().wall_ms() + 5_000
    summary = worker({"symbol": "BIGUSDT", "execution": "budget", "deadline_ms": deadline_ms}, None)
    assert (summary["done"], summary["reason"]) == (False, "deadline")
    assert "spot_normal" in summary["incomplete_streams"]
    assert summary["errors"].get("deadline", 0) >= 1
    orders = [o for o in _orders(store, summary) if o["stream"] == "spot_normal"]
    truth = [
        t for t in exchange.truth("BIGUSDT", summary["window"]["start_ms"]) if t["stream"] == "spot_normal"
    ]
    assert 0 < len(orders) < len(truth)
    # shards page different time ranges at once: what was fetched is newest first, exact and never doubled
    assert orders == [t for t in truth if t in orders]
    assert orders[0] == truth[0]  # the newest shard started from the newest order


def test_writing_twice_is_idempotent(exchange, store, worker):
    event = {"symbol": "EDGEUSDT", "execution": "twice", "start_ms": 1, "end_ms": Clock().wall_ms()}
    first = worker(event, None)
    with store.reader(first["orders_key"]) as fh:
        first_bytes = fh.read()
    second = worker(event, None)
    with store.reader(second["orders_key"]) as fh:
        assert fh.read() == first_bytes
    symbol_files = [key for key in store.list_keys(f"{PREFIX}twice/") if "/symbols/" in key]
    assert symbol_files == sorted([first["orders_key"], first["detail_key"]])
    assert second == first
    assert len(json.dumps(second)) < 1024
