"""GET /results/{key}: local results files, only under RESULTS_PREFIX, no path traversal."""

from __future__ import annotations

import pytest


def test_serves_a_results_file(sqlite_api) -> None:
    sqlite_api.store.put_json("bitget-results/exec-1/result.json", {"orders": [{"orderId": "1"}]})
    response = sqlite_api.client.get("/results/bitget-results/exec-1/result.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"orders": [{"orderId": "1"}]}


def test_missing_file_is_404(sqlite_api) -> None:
    assert sqlite_api.client.get("/results/bitget-results/exec-1/result.json").status_code == 404


@pytest.mark.parametrize(
    "key",
    [
        "other/result.json",
        "bitget-results/../api.db",
        "bitget-results/%2e%2e/%2e%2e/api.db",
        "bitget-results//etc/passwd",
        "bitget-results/exec-1/.result.json.part",
    ],
)
def test_refuses_keys_outside_the_prefix(sqlite_api, key) -> None:
    (sqlite_api.store.root / "other").mkdir(parents=True, exist_ok=True)
    (sqlite_api.store.root / "other" / "result.json").write_text("{}")
    (sqlite_api.store.root / "bitget-results" / "exec-1").mkdir(parents=True, exist_ok=True)
    (sqlite_api.store.root / "bitget-results" / "exec-1" / ".result.json.part").write_text("{}")
    response = sqlite_api.client.get(f"/results/{key}")
    assert response.status_code in (400, 404)
    assert response.status_code != 200
