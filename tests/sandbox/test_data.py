"""Deterministic generation, ids, ties, profiles."""

from __future__ import annotations

import json

import pytest

from sandbox.data import RETENTION_MS, generate_stream_orders
from sandbox.profiles import load_profile
from sandbox.server import SandboxServer
from sandbox.truth import truth

ANCHOR = 1_790_000_000_000


def test_same_seed_same_orders_other_seed_other_orders() -> None:
    first = generate_stream_orders(42, "BTCUSDT", "spot_normal", 300, ANCHOR, 30, 0.1)
    assert first == generate_stream_orders(42, "BTCUSDT", "spot_normal", 300, ANCHOR, 30, 0.1)
    assert first != generate_stream_orders(43, "BTCUSDT", "spot_normal", 300, ANCHOR, 30, 0.1)
    assert all("stream" not in order for order in first)


def test_servers_with_the_same_seed_and_anchor_serve_the_same_truth() -> None:
    one = SandboxServer("demo", seed=7, now_ms=ANCHOR)
    two = SandboxServer("demo", seed=7, now_ms=ANCHOR)
    assert truth(one.app.account, "ETHUSDT", None, None, ANCHOR) == truth(
        two.app.account, "ETHUSDT", None, None, ANCHOR
    )


@pytest.mark.parametrize("stream", ["spot_normal", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan"])
def test_ids_are_19_digits_unique_and_grow_with_ctime_even_for_ties(stream) -> None:
    orders = generate_stream_orders(1, "ETHUSDT", stream, 2000, ANCHOR, 10, 0.3)
    assert len(orders) == 2000
    pairs = [(int(o["cTime"]), int(o["orderId"])) for o in orders]
    assert all(len(o["orderId"]) == 19 for o in orders)
    assert pairs == sorted(pairs, reverse=True)
    assert len({oid for _, oid in pairs}) == 2000
    assert len({ctime for ctime, _ in pairs}) <= 2000 - 500  # ~30% share a cTime
    assert all(int(o["cTime"]) <= ANCHOR and int(o["uTime"]) >= int(o["cTime"]) for o in orders)


def test_ids_are_unique_across_the_whole_account() -> None:
    server = SandboxServer("demo", now_ms=ANCHOR)
    ids = [
        o["orderId"]
        for spec in server.profile.symbols
        for o in truth(server.app.account, spec.symbol, 0, ANCHOR, ANCHOR)
    ]
    assert len(ids) == len(set(ids)) > 5000


def test_spot_fee_detail_is_a_json_string_or_empty() -> None:
    orders = generate_stream_orders(3, "BTCUSDT", "spot_normal", 400, ANCHOR, 10, 0)
    details = [o["feeDetail"] for o in orders]
    assert "" in details
    parsed = json.loads(next(d for d in details if d))
    assert parsed["newFees"]["t"] < 0


def test_spot_decimals_are_padded_to_16_places_and_market_prices_are_zero() -> None:
    orders = generate_stream_orders(3, "BTCUSDT", "spot_normal", 400, ANCHOR, 10, 0)
    decimals = ("size", "priceAvg", "baseVolume", "quoteVolume")
    for order in orders:
        for name in decimals + (() if order["orderType"] == "market" else ("price",)):
            whole, _, fraction = order[name].partition(".")
            assert whole.isdigit() and len(fraction) == 16 and fraction.isdigit(), (name, order[name])
    market = [o for o in orders if o["orderType"] == "market"]
    assert market and {o["price"] for o in market} == {"0"}
    assert "0.0000000000000000" in {o["baseVolume"] for o in orders}  # unfilled orders
    futures = generate_stream_orders(3, "BTCUSDT", "USDT-FUTURES", 400, ANCHOR, 10, 0)
    assert {o["price"] for o in futures if o["orderType"] == "market"} == {""}


def test_no_order_sits_at_the_retention_edge() -> None:
    orders = generate_stream_orders(5, "BTCUSDT", "spot_normal", 20_000, ANCHOR, 120, 0)
    edge = ANCHOR - RETENTION_MS
    assert not [o for o in orders if edge - 120_000 <= int(o["cTime"]) <= edge + 1_200_000]
    assert min(int(o["cTime"]) for o in orders) < edge


def test_profile_streams_have_exactly_the_configured_counts() -> None:
    profile = {"symbols": [{"symbol": "AAAUSDT", "orders": {"spot_normal": 99, "USDC-FUTURES": 3}}]}
    server = SandboxServer(profile, now_ms=ANCHOR)
    account = server.app.account
    assert len(account.stream_orders("AAAUSDT", "spot_normal")) == 99
    assert len(account.stream_orders("AAAUSDT", "spot_tpsl")) == 0
    assert len(account.stream_orders("AAAUSDT", "USDC-FUTURES")) == 3
    assert server.profile.symbols[0].markets == ("spot", "USDC-FUTURES")


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"symbols": []}, "symbols"),
        ({"symbols": [{"symbol": "btcusdt"}]}, "upper-case"),
        ({"symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": -1}}]}, "spot_normal"),
        ({"symbols": [{"symbol": "BTCUSDT", "orders": {"MARGIN": 1}}]}, "MARGIN"),
        ({"symbols": [{"symbol": "BTCUSDT", "markets": ["spot"], "orders": {"USDT-FUTURES": 1}}]}, "markets"),
        ({"symbols": [{"symbol": "BTCUSDT", "tie_share": 1}]}, "tie_share"),
        ({"symbols": [{"symbol": "BTCUSDT"}], "faults": {"reset": 2}}, "reset"),
    ],
)
def test_bad_profiles_are_refused_naming_the_problem(raw, needle) -> None:
    with pytest.raises(ValueError, match=needle):
        SandboxServer(raw)


def test_built_in_and_file_profiles_load(tmp_path) -> None:
    bench = load_profile("bench")
    assert len(bench.symbols) >= 24
    assert all(spec.markets == ("spot", "USDT-FUTURES") for spec in bench.symbols)
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 1}}]}))
    assert load_profile(str(path)).name == "mine"
    with pytest.raises(ValueError, match="neither"):
        load_profile("no-such-profile")
