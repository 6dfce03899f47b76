"""Shared builders for the worker tests: settings without the environment, a run with fakes, a local store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker.budget import Clock, TimeBudget
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.extraction import Extraction
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.settings import WorkerSettings
from tests.worker.fakes import FakeClock

PREFIX = "bitget-results/"


def worker_settings(**overrides: Any) -> WorkerSettings:
    """Settings from keyword arguments only (no .env file)."""
    return WorkerSettings(_env_file=None, **overrides)


@pytest.fixture
def store(tmp_path: Path) -> LocalResultsStore:
    return LocalResultsStore(tmp_path / "results")


def make_run(
    client: Any, store: LocalResultsStore, clock: FakeClock | None = None, **overrides: Any
) -> Extraction:
    clock = clock or FakeClock()
    # These tests name the plan streams they want; the product's default (on) is tested in test_settings.
    settings = worker_settings(**{"include_plan_orders": False, **overrides})
    return Extraction(
        client=client,
        store=store,
        settings=settings,
        catalog=MarketCatalog(settings.markets_ttl_s, monotonic=clock.monotonic),
        breaker=CircuitBreaker(monotonic=clock.monotonic, enabled=settings.enable_circuit_breaker),
        budget=TimeBudget(
            settings.max_execution_time,
            request_timeout_s=settings.bitget_timeout,
            safety_margin_s=settings.budget_safety_margin_s,
            monotonic=clock.monotonic,
        ),
        clock=Clock(wall_ms=clock.wall_ms, monotonic=clock.monotonic),
        sleep=lambda seconds: None,  # second passes do not wait in tests
    )
