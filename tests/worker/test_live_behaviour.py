"""The worker against the sandbox behaving like live Bitget (BITGET_API.md §10): short pages mid-stream, null
lists, padded decimals, `message` envelopes, a server clock minutes away from ours. Every run is compared with
the sandbox's ground truth: nothing lost, nothing doubled."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.wiring import build_dependencies
from tests.worker.conftest import worker_settings
from tests.worker.test_sandbox_extraction import _assert_exact, _install, _orders

pytestmark = pytest.mark.sandbox

PROFILE = {
    "name": "worker-live",
    "days": 80,
    "tie_share": 0.2,
    "symbols": [
        {
            "symbol": "LIVEUSDT",
            "orders": {
                "spot_normal": 1200,
                "spot_tpsl": 150,
                "spot_plan": 240,
                "USDT-FUTURES": 900,
                "USDT-FUTURES_plan": 330,
            },
        },
    ],
}


def _run(make_sandbox, store, execution: str, **server_options: Any) -> tuple[Any, dict[str, Any]]:
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False, **server_options)
    summary = _install(server, store)({"symbol": "LIVEUSDT", "execution": execution}, None)
    return server, summary


def _check_exact(server, store, summary) -> None:
    window = summary["window"]
    _assert_exact(_orders(store, summary), server.truth("LIVEUSDT", window["start_ms"], window["end_ms"]))
    assert summary["complete"] and summary["errors"] == {}


def test_short_pages_mid_stream_lose_nothing(make_sandbox, store):
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)
    server.set_faults(short_page=0.5)
    summary = _install(server, store)({"symbol": "LIVEUSDT", "execution": "short"}, None)
    assert server.stats()["faults"].get("short_page", 0) >= 10  # many pages really were cut short
    _check_exact(server, store, summary)


def test_null_lists_message_envelopes_and_padded_decimals_are_read_as_bitget_means_them(make_sandbox, store):
    server, summary = _run(
        make_sandbox, store, "forms", envelope_message_key=True, empty_spot_history_null=True
    )
    _check_exact(server, store, summary)
    spot = [o for o in _orders(store, summary) if o["stream"] == "spot_normal"]
    assert all(len(o["size"].split(".")[1]) == 16 for o in spot)  # "20.0000000000000000" kept as sent
    assert any(o["price"] == "0" for o in spot if o["orderType"] == "market")


@pytest.mark.parametrize("offset_ms", [120_000, -120_000])
def test_a_server_clock_two_minutes_away_loses_nothing(make_sandbox, store, offset_ms):
    # The local clock is 2 minutes off Bitget's: signatures would be refused (40008) and a window computed
    # locally would ask beyond the retention (40704) or miss the newest orders. Bitget's clock decides.
    server, summary = _run(make_sandbox, store, f"clock{offset_ms}", clock_offset_ms=offset_ms)
    _check_exact(server, store, summary)
    detail = store.get_json(summary["detail_key"])
    assert detail["clock"]["source"] == "server"
    assert abs(detail["clock"]["offset_ms"] - offset_ms) < 5_000
    assert abs(summary["window"]["end_ms"] - server.now_ms()) < 60_000


@pytest.mark.slow
def test_the_default_retry_budget_absorbs_25_percent_combined_faults(make_sandbox, store):
    # The default configuration (retries, backoff, second passes), not a test-tuned one: at 25 % of requests
    # failing (5xx, resets, truncated bodies, 429 bursts) every order still arrives, exactly once.
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)
    creds = server.credentials
    settings = worker_settings(
        bitget_base=server.base_url,
        bitget_api_key=creds.api_key,
        bitget_api_secret=creds.api_secret,
        bitget_api_passphrase=creds.passphrase,
        max_execution_time=600,
    )
    worker = WorkerFunction(build_dependencies(settings, store))
    server.set_faults(error_5xx=0.08, reset=0.06, truncate=0.06, burst_429=0.05)
    summary = worker({"symbol": "LIVEUSDT", "execution": "faults25"}, None)
    assert sum(server.stats()["faults"].values()) >= 5  # about a quarter of some 40 requests
    assert summary["retries"] > 0
    _check_exact(server, store, summary)
