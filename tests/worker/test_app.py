"""The handler: injected dependencies, idempotent writes, a compact summary, the Lambda's default instance."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lambda_functions.common.bitget import BitgetRateLimitError, RateLimiter
from lambda_functions.common.streams import ALL_PRODUCT_TYPES
from lambda_functions.worker import app as app_module
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.budget import Clock
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.wiring import Dependencies
from tests.worker.conftest import PREFIX, worker_settings
from tests.worker.fakes import FakeClient, FakeClock, make_orders

NOW = FakeClock().wall_ms()


@pytest.fixture
def install(store):
    """A worker handler over fake dependencies; returns a function taking the client and settings."""

    def _install(client, **overrides) -> WorkerFunction:
        settings = worker_settings(**overrides)
        clock = FakeClock()
        return WorkerFunction(
            Dependencies(
                settings=settings,
                store=store,
                catalog=MarketCatalog(monotonic=clock.monotonic),
                breaker=CircuitBreaker(monotonic=clock.monotonic),
                limiters=LimiterPool(lambda share: RateLimiter(share=share)),
                make_client=lambda limiter: client,
                clock=Clock(wall_ms=clock.wall_ms, monotonic=clock.monotonic),
            )
        )

    return _install


def test_handler_returns_the_summary_and_writing_twice_is_idempotent(install, store):
    client = FakeClient(
        {"spot_normal": make_orders(120, newest_ms=NOW - 1)},
        listed={"spot": {"BTCUSDT"}, "USDT-FUTURES": set(), "USDC-FUTURES": set(), "COIN-FUTURES": set()},
    )
    handler = install(client)
    event = {"symbol": "BTCUSDT", "execution": "exec-1"}
    first = handler(event, None)
    with store.reader(first["orders_key"]) as fh:
        first_bytes = fh.read()
    calls = len(client.calls)
    # a second invocation (a Map retry) finds the symbol finished in its checkpoint: no request, same answer
    second = handler(event, None)
    assert len(client.calls) == calls
    assert second == first and first["done"] is True
    # removed since (CLEANUP_PER_SYMBOL_FILES), the orders file is rebuilt from the segments, byte for byte
    store.delete([first["orders_key"]])
    assert handler(event, None) == first and len(client.calls) == calls
    with store.reader(second["orders_key"]) as fh:
        assert fh.read() == first_bytes
    assert first["orders"] == second["orders"] == 120
    files = store.list_keys(f"{PREFIX}exec-1/")
    assert [k for k in files if "/symbols/" in k] == sorted([first["orders_key"], first["detail_key"]])
    assert f"{PREFIX}exec-1/checkpoints/BTCUSDT.json" in files
    assert (
        json.loads(first_bytes)["orders"][0]["orderId"] == make_orders(120, newest_ms=NOW - 1)[0]["orderId"]
    )


def test_summary_stays_under_one_kilobyte_in_the_worst_case(install):
    # every stream of every market fails: the longest incomplete list and error map there can be
    markets = {"spot": {"BTCUSDT"}} | {pt: {"BTCUSDT"} for pt in ALL_PRODUCT_TYPES}
    streams = [
        "spot_normal",
        "spot_tpsl",
        "spot_plan",
        *ALL_PRODUCT_TYPES,
        *(f"{pt}_plan" for pt in ALL_PRODUCT_TYPES),
    ]
    fail = {s: BitgetRateLimitError() for s in streams}
    fail |= {
        f"{pt}_plan:{plan}": BitgetRateLimitError()
        for pt in ALL_PRODUCT_TYPES
        for plan in ("normal_plan", "track_plan", "profit_loss")
    }
    handler = install(
        FakeClient(listed=markets, fail=fail),
        include_simulation=True,
        include_plan_orders=True,
        second_pass_pause_s=0,  # each failing shard's second pass, without its 5 s pause
    )
    summary = handler({"symbol": "BTCUSDT", "execution": "x" * 80}, None)
    assert len(summary["incomplete_streams"]) == 15
    assert len(json.dumps(summary)) < 1024


def test_two_workers_in_one_process_each_use_their_own_dependencies(install, tmp_path):
    # GIVEN two worker handlers over different stores (two embedded services, or two tests, in one process)
    from lambda_functions.common.results_store import LocalResultsStore

    listed = {"spot": {"BTCUSDT"}, "USDT-FUTURES": set(), "USDC-FUTURES": set(), "COIN-FUTURES": set()}
    first = install(FakeClient({"spot_normal": make_orders(3, newest_ms=NOW - 1)}, listed=listed))
    other_store = LocalResultsStore(tmp_path / "other")
    second = WorkerFunction(replace(first.deps, store=other_store))
    # WHEN each runs the same event
    event = {"symbol": "BTCUSDT", "execution": "exec-2"}
    a, b = first(event, None), second(event, None)
    # THEN each wrote to its own store: nothing process-wide decided where
    assert first.deps.store.exists(a["orders_key"]) and other_store.exists(b["orders_key"])
    assert other_store.list_keys(f"{PREFIX}exec-2/") != [] and first.deps.store is not other_store


@pytest.fixture
def cold_start():
    """The Lambda's default worker not built yet, and forgotten afterwards."""
    app_module.default_function.cache_clear()
    yield
    app_module.default_function.cache_clear()


def test_the_lambda_handler_builds_its_worker_once_from_the_environment(monkeypatch, install, cold_start):
    # GIVEN the module-level handler the Lambda runtime calls, with no worker built yet
    built: list[Dependencies] = []
    fake = install(FakeClient(listed={"spot": set()}))

    def from_environment() -> Dependencies:
        built.append(fake.deps)
        return fake.deps

    monkeypatch.setattr(app_module, "build_dependencies", from_environment)
    # WHEN it is invoked twice (a cold start, then a warm one)
    for _ in range(2):
        app_module.handler({"symbol": "BTCUSDT", "execution": "exec-3"}, None)
    # THEN the dependencies were built once, on the first invocation
    assert len(built) == 1
    assert app_module.default_function().deps is fake.deps


def test_a_failure_to_build_the_worker_is_an_error_item(monkeypatch, cold_start):
    # GIVEN a cold start whose dependencies cannot be built (say the Bitget secret is unreadable)
    def unreadable() -> Dependencies:
        raise ValueError("could not read the Bitget secret: AccessDenied")

    monkeypatch.setattr(app_module, "build_dependencies", unreadable)
    # WHEN the handler is invoked THEN the Map gets a bounded error item, not a Lambda error
    item = app_module.handler({"symbol": "BTCUSDT", "execution": "exec-4"}, None)
    assert item["symbol"] == "BTCUSDT" and item["error"]["Error"] == "ValueError"
