"""Injected faults happen at their configured rates on the wire; admin endpoints; the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.sandbox.bitget_http import get

TIME = "/api/v2/public/time"


def outcomes(server, count: int) -> list[str]:
    """What a plain client sees for `count` sequential public requests (fresh connection each time)."""
    seen = []
    for _ in range(count):
        try:
            response = requests.get(server.base_url + TIME, timeout=2, headers={"Connection": "close"})
            seen.append(str(response.status_code))
        except requests.exceptions.ChunkedEncodingError:
            seen.append("truncated")
        except requests.exceptions.ConnectionError:
            seen.append("reset")
    return seen


def test_faults_happen_at_their_rates_and_repeat_with_the_seed(make_sandbox) -> None:
    server = make_sandbox("demo", enforce_rate_limits=False)
    server.set_faults(error_5xx=0.2, reset=0.1, truncate=0.1, burst_429=0.1)
    first = outcomes(server, 200)
    server.set_faults(error_5xx=0.2, reset=0.1, truncate=0.1, burst_429=0.1)
    assert outcomes(server, 200) == first
    assert 25 <= first.count("503") <= 55
    assert 8 <= first.count("reset") <= 32
    assert 8 <= first.count("truncated") <= 32
    assert 8 <= first.count("429") <= 32
    faults = server.stats()["endpoints"][TIME]["faults"]
    assert faults["error_5xx"] == 2 * first.count("503")
    assert faults["reset"] == 2 * first.count("reset")


def test_timeout_fault_hangs_until_the_client_gives_up(make_sandbox) -> None:
    server = make_sandbox("demo")
    server.set_faults(timeout=1.0, timeout_s=5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.base_url + TIME, timeout=0.3)


def test_latency_delays_but_answers(make_sandbox) -> None:
    server = make_sandbox("demo")
    server.set_faults(latency_ms=50, jitter_ms=10)
    assert requests.get(server.base_url + TIME, timeout=5).status_code == 200


def test_faults_never_touch_admin_paths(sandbox) -> None:
    sandbox.set_faults(error_5xx=1.0)
    assert requests.get(sandbox.base_url + "/sandbox/stats", timeout=5).status_code == 200
    assert requests.get(sandbox.base_url + TIME, timeout=5).status_code == 503


def test_faults_over_http_are_validated_naming_the_field(sandbox) -> None:
    url = sandbox.base_url + "/sandbox/faults"
    for body, field in [
        ({"reset": 1.5}, "reset"),
        ({"flood": 0.1}, "flood"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"reset": 0.6, "truncate": 0.6}, "add up"),
    ]:
        response = requests.post(url, json=body, timeout=5)
        assert response.status_code == 400
        assert field in response.json()["error"]
    ok = requests.post(url, json={"error_5xx": 0.5, "latency_ms": 1}, timeout=5)
    assert ok.json()["faults"]["error_5xx"] == 0.5
    assert ok.json()["faults"]["reset"] == 0


def test_reset_clears_stats_faults_and_windows(sandbox) -> None:
    sandbox.set_faults(error_5xx=1.0)
    requests.get(sandbox.base_url + TIME, timeout=5)
    assert requests.post(sandbox.base_url + "/sandbox/reset", timeout=5).json() == {"reset": True}
    assert sandbox.stats()["requests"] == 0
    assert requests.get(sandbox.base_url + TIME, timeout=5).status_code == 200


def test_stats_count_requests_and_statuses_per_path(sandbox) -> None:
    get(sandbox, "/api/v2/spot/trade/history-orders", {"limit": 1})
    get(sandbox, "/api/v2/spot/trade/history-orders", {"limit": 1}, sign="bad")
    stats = requests.get(sandbox.base_url + "/sandbox/stats", timeout=5).json()
    entry = stats["endpoints"]["/api/v2/spot/trade/history-orders"]
    assert entry["requests"] == 2
    assert entry["status"] == {"200": 1, "400": 1}
    assert stats["requests"] == 2


def test_truth_over_http_matches_the_method(sandbox) -> None:
    response = requests.get(sandbox.base_url + "/sandbox/truth", params={"symbol": "SOLUSDT"}, timeout=10)
    orders = response.json()["orders"]
    assert orders == sandbox.truth("SOLUSDT")
    assert {"stream", "orderId", "cTime"} <= set(orders[0])
    bad = requests.get(
        sandbox.base_url + "/sandbox/truth", params={"symbol": "X", "start_ms": "x"}, timeout=5
    )
    assert bad.status_code == 400
    assert "start_ms" in bad.json()["error"]


def test_cli_starts_and_prints_url_and_credentials() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--profile",
            "bench",
            "--api-key",
            "k1",
            "--passphrase",
            "my-real-passphrase",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert "bench profile" in first
        assert "http://127.0.0.1:" in first
        url = first.split(" at ")[1].strip()
        assert "k1" in second
        assert "sandbox-secret" in second  # the published default is shown
        assert "my-real-passphrase" not in second  # one of your own is not
        symbols = requests.get(url + "/api/v2/spot/public/symbols", timeout=5).json()["data"]
        assert len(symbols) >= 24
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
