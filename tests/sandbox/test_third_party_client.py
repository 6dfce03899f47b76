"""A widely used third-party Bitget v2 client (ccxt) works against the sandbox through configuration alone.

ccxt is configured only through its public settings: every `urls['api']` entry points at the sandbox base URL,
plus the credentials and its own rate limiter (`enableRateLimit`). No `uta` option: ccxt detects the classic
account itself from the sandbox's `/api/v3/account/settings` answer (40084).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ccxt
import pytest

from sandbox import SandboxServer
from sandbox.clock import DAY_MS

PAGE = 100
SPOT_SYMBOL, SWAP_SYMBOL = "BTC/USDT", "BTC/USDT:USDT"


def ccxt_bitget(server: SandboxServer) -> ccxt.bitget:
    """The configuration docs/sandbox.md shows under "Using a third-party client"."""
    return ccxt.bitget(
        {
            "urls": {"api": dict.fromkeys(ccxt.bitget().urls["api"], server.base_url)},
            "apiKey": server.credentials.api_key,
            "secret": server.credentials.api_secret,
            "password": server.credentials.passphrase,
            "enableRateLimit": True,
        }
    )


@pytest.fixture
def started(make_sandbox: Callable[..., SandboxServer]) -> tuple[SandboxServer, ccxt.bitget]:
    """A rate-limited demo sandbox and a ccxt client that has loaded its markets from it."""
    server = make_sandbox("demo", enforce_rate_limits=True)
    exchange = ccxt_bitget(server)
    exchange.load_markets()
    return server, exchange


def crawl(exchange: ccxt.bitget, symbol: str, since: int, until: int) -> list[str]:
    """Page fetch_canceled_and_closed_orders with idLessThan until an empty page; returns the ids seen.

    ccxt re-sorts each page oldest first and keeps Bitget's cursor (`endId`) out of the orders, so the cursor
    is the smallest id of the page, which is the last row Bitget sent (= `endId`)."""
    ids: list[str] = []
    params: dict[str, Any] = {"until": until}
    while page := exchange.fetch_canceled_and_closed_orders(symbol, since, PAGE, params):
        ids += [order["id"] for order in page]
        params = {"until": until, "idLessThan": min((order["id"] for order in page), key=int)}
    return ids


def truth_ids(server: SandboxServer, symbol: str, stream: str, since: int, until: int) -> list[str]:
    return [order["orderId"] for order in server.truth(symbol, since, until) if order["stream"] == stream]


def last_90_days() -> tuple[int, int]:
    now = time.time_ns() // 1_000_000
    return now - 90 * DAY_MS + 5 * 60_000, now


def test_load_markets_lists_the_sandbox_symbols_and_contracts(started) -> None:
    server, exchange = started
    specs = server.profile.symbols
    spot = {market["id"] for market in exchange.markets.values() if market["spot"]}
    contracts = {
        (market["id"], exchange.handle_product_type_and_params(market, {})[0])
        for market in exchange.markets.values()
        if market["contract"]
    }
    assert spot == {spec.symbol for spec in specs if "spot" in spec.markets}
    assert contracts == {
        (spec.symbol, market) for spec in specs for market in spec.markets if market != "spot"
    }
    # ccxt asked /api/v3/account/settings and took the sandbox's 40084 answer for a classic account.
    assert exchange.options["uta"] is False


def test_fetch_time_is_the_server_clock(started) -> None:
    _, exchange = started
    before = time.time_ns() // 1_000_000
    server_time = exchange.fetch_time()
    after = time.time_ns() // 1_000_000
    assert before - 2_000 <= server_time <= after + 2_000


@pytest.mark.slow
@pytest.mark.parametrize(("symbol", "stream"), [(SPOT_SYMBOL, "spot_normal"), (SWAP_SYMBOL, "USDT-FUTURES")])
def test_paging_order_history_collects_exactly_the_truth(started, symbol: str, stream: str) -> None:
    server, exchange = started
    since, until = last_90_days()
    ids = crawl(exchange, symbol, since, until)
    expected = truth_ids(server, "BTCUSDT", stream, since, until)
    assert len(expected) > 3 * PAGE  # several pages, so the cursor is really exercised
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)
    assert server.stats()["http_429"] == 0  # ccxt's own limiter kept within the sandbox's limits


def test_fetch_closed_orders_keeps_the_filled_orders_of_a_page(started) -> None:
    _, exchange = started
    since, until = last_90_days()
    for symbol in (SPOT_SYMBOL, SWAP_SYMBOL):
        everything = exchange.fetch_canceled_and_closed_orders(symbol, since, PAGE, {"until": until})
        closed = exchange.fetch_closed_orders(symbol, since, PAGE, {"until": until})
        assert {o["id"] for o in closed} == {o["id"] for o in everything if o["info"]["status"] == "filled"}
        assert closed and all(order["status"] == "closed" for order in closed)


def test_implicit_signed_call_returns_the_sandbox_envelope(started) -> None:
    server, exchange = started
    since, until = last_90_days()
    spot = exchange.privateSpotGetV2SpotTradeHistoryOrders({"symbol": "BTCUSDT", "limit": "5"})
    futures = exchange.privateMixGetV2MixOrderOrdersHistory(
        {"productType": "USDT-FUTURES", "symbol": "BTCUSDT", "limit": "5"}
    )
    assert (spot["code"], spot["msg"], type(spot["requestTime"])) == ("00000", "success", int)
    assert [row["orderId"] for row in spot["data"]] == truth_ids(
        server, "BTCUSDT", "spot_normal", since, until
    )[:5]
    assert (futures["code"], type(futures["requestTime"])) == ("00000", str)
    assert futures["data"]["endId"] == futures["data"]["entrustedList"][-1]["orderId"]
    assert [row["orderId"] for row in futures["data"]["entrustedList"]] == truth_ids(
        server, "BTCUSDT", "USDT-FUTURES", since, until
    )[:5]


def test_sandbox_errors_reach_ccxt_as_its_exceptions(started) -> None:
    _, exchange = started
    with pytest.raises(ccxt.ExchangeError, match="40034"):  # ccxt maps no class to 40034
        exchange.privateSpotGetV2SpotTradeHistoryOrders({"symbol": "BTCUSDT_SPBL"})
    exchange.secret = "not-the-secret"
    with pytest.raises(ccxt.AuthenticationError):  # 40009
        exchange.privateSpotGetV2SpotTradeHistoryOrders({"symbol": "BTCUSDT"})
