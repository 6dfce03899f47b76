"""GET /symbols: spot + USDT/USDC/COIN futures, v2 names only, cached, 502 when the exchange fails."""

from __future__ import annotations

from app.services.symbols_service import SymbolsService
from tests.api.fakes import FakeSymbolsClient


def test_symbols_consolidates_markets(sqlite_api) -> None:
    body = sqlite_api.client.get("/symbols").json()
    assert {(s["symbol"], s["product_type"], s["status"]) for s in body["symbols"]} == {
        ("BTCUSDT", "spot", "online"),
        ("ETHUSDT", "spot", "halt"),
        ("BTCUSDT", "usdt-futures", "normal"),
        ("BTCPERP", "usdc-futures", "normal"),
    }
    assert body["total_count"] == 4
    summary = body["product_types_summary"]
    assert {k: v["count"] for k, v in summary.items()} == {
        "spot": 2, "usdt-futures": 1, "usdc-futures": 1, "coin-futures": 0,
    }  # fmt: skip
    assert body["api_info"]["endpoints_used"] == [
        "/api/v2/spot/public/symbols",
        "/api/v2/mix/market/contracts",
    ]


def test_symbols_are_cached(sqlite_api) -> None:
    first = sqlite_api.client.get("/symbols").json()
    second = sqlite_api.client.get("/symbols").json()
    assert sqlite_api.symbols.calls == 1
    assert (first["api_info"]["cached"], second["api_info"]["cached"]) == (False, True)
    assert first["symbols"] == second["symbols"]


def test_cache_expires_after_its_lifetime() -> None:
    now = [0.0]
    client = FakeSymbolsClient()
    service = SymbolsService(client, cache_seconds=300, clock=lambda: now[0])
    service.get()
    now[0] = 299.0
    service.get()
    assert client.calls == 1
    now[0] = 301.0
    service.get()
    assert client.calls == 2


def test_exchange_failure_is_502_and_keeps_nothing(sqlite_api) -> None:
    sqlite_api.symbols.fail = True
    response = sqlite_api.client.get("/symbols")
    assert response.status_code == 502
    assert "BitgetTransportError" in response.json()["detail"]
    sqlite_api.symbols.fail = False
    assert sqlite_api.client.get("/symbols").json()["api_info"]["cached"] is False
