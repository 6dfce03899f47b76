"""Fills agree with their orders to the last digit, in both account modes, at every moment (fills.py)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sandbox.clock import DAY_MS
from sandbox.fillrows import fill_row
from sandbox.fills import has_fills, order_fee
from sandbox.history import Account
from sandbox.lifecycle import is_open
from sandbox.openview import open_row
from sandbox.profiles import load_profile
from sandbox.uta import uta_order_row

ANCHOR = 1_795_000_000_000
LIVING = {
    "days": 30,
    "future_days": 30,
    "open_share": 0.4,
    "open_days": 10,
    "symbols": [
        {"symbol": "BTCUSDT", "orders": {"spot_normal": 300, "spot_tpsl": 50, "USDT-FUTURES": 300}},
        {"symbol": "XRPUSDT", "orders": {"uta_SPOT": 200, "uta_MARGIN": 100, "uta_USDT-FUTURES": 200}},
        {"symbol": "BTCUSD", "orders": {"COIN-FUTURES": 100, "COIN-FUTURES_plan": 20}},
    ],
}


def accounts():
    yield "demo", Account(load_profile("demo"), 42, ANCHOR)
    yield "uta", Account(load_profile("uta"), 42, ANCHOR, "unified")
    yield "living classic", Account(load_profile(LIVING), 7, ANCHOR)
    yield "living unified", Account(load_profile(LIVING), 7, ANCHOR, "unified")


def form(stream: str) -> str:
    return "spot_normal" if stream in ("uta_SPOT", "uta_MARGIN") else stream.removeprefix("uta_")


@pytest.mark.parametrize(("name", "account"), list(accounts()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_filled_order_has_fills_adding_up_exactly(name, account) -> None:
    checked = 0
    for spec in account.profile.symbols:
        for stream in account.streams_of(spec):
            orders = account.stream_orders(spec.symbol, stream)
            fills = account.stream_fills(spec.symbol, stream)
            if not has_fills(stream):
                assert fills == []
                continue
            by_order = defaultdict(list)
            for fill in fills:
                by_order[fill.order["orderId"]].append(fill)
            for order in orders:
                mine = by_order.pop(order["orderId"], [])
                base = Decimal(order["baseVolume"] or "0")
                if not base:
                    assert mine == []
                    continue
                assert 1 <= len(mine) <= 4
                assert sum(Decimal(f.size) for f in mine) == base
                assert sum(Decimal(f.value) for f in mine) == Decimal(order["quoteVolume"])
                fee, coin = order_fee(order, form(stream))
                assert sum(Decimal(f.fee) for f in mine) == fee and {f.fee_coin for f in mine} == {coin}
                assert sum(Decimal(f.profit) for f in mine) == Decimal(order.get("totalProfits") or "0")
                assert all(int(order["cTime"]) <= f.time <= int(order["uTime"]) for f in mine)
                assert all(Decimal(f.size) > 0 and Decimal(f.value) >= 0 for f in mine)
                checked += 1
            assert by_order == {}  # no fill without its order
    assert checked > 300


@pytest.mark.parametrize(("name", "account"), list(accounts()), ids=lambda v: v if isinstance(v, str) else "")
def test_trade_ids_are_unique_per_account_and_grow_with_time(name, account) -> None:
    fills = [
        fill
        for spec in account.profile.symbols
        for stream in account.streams_of(spec)
        for fill in account.stream_fills(spec.symbol, stream)
    ]
    ids = [fill.trade_id for fill in fills]
    assert len(set(ids)) == len(ids)
    by_id = sorted(fills, key=lambda fill: fill.trade_id)
    assert [fill.time for fill in by_id] == sorted(fill.time for fill in fills)


def test_fills_are_deterministic_from_the_seed() -> None:
    def rows(seed: int) -> list[dict]:
        account = Account(load_profile(LIVING), seed, ANCHOR, "unified")
        return [fill_row(fill) for fill in account.stream_fills("XRPUSDT", "uta_MARGIN")]

    assert rows(7) == rows(7)
    assert rows(7) != rows(8)


@pytest.mark.parametrize("mode", ["classic", "unified"])
def test_open_orders_show_what_their_fills_add_up_to_so_far(mode) -> None:
    account = Account(load_profile(LIVING), 7, ANCHOR, mode)
    partial = live = 0
    for now in (ANCHOR + DAY_MS, ANCHOR + 10 * DAY_MS, ANCHOR + 20 * DAY_MS):
        for spec in account.profile.symbols:
            for stream in account.streams_of(spec):
                if not has_fills(stream):
                    continue
                coins = account.coins(spec.symbol)
                so_far = defaultdict(list)
                for fill in account.stream_fills(spec.symbol, stream):
                    if fill.time <= now:
                        so_far[fill.order["orderId"]].append(fill)
                for order in account.stream_orders(spec.symbol, stream):
                    if not is_open(order, now):
                        continue
                    row = open_row(order, form(stream), coins, now)
                    mine = so_far.get(order["orderId"], [])
                    assert sum((Decimal(f.size) for f in mine), Decimal(0)) == Decimal(row["baseVolume"])
                    assert sum((Decimal(f.value) for f in mine), Decimal(0)) == Decimal(row["quoteVolume"])
                    assert sum((Decimal(f.fee) for f in mine), Decimal(0)) == order_fee(row, form(stream))[0]
                    if stream.startswith("uta_"):
                        shown = uta_order_row(row, stream, coins)
                        assert shown["orderStatus"] == ("partially_filled" if mine else "live")
                        assert Decimal(shown["cumExecQty"]) == sum(
                            (Decimal(f.size) for f in mine), Decimal(0)
                        )
                    partial += bool(mine)
                    live += not mine
    assert partial > 10 and live > 10


def test_v3_rows_carry_the_fill_totals() -> None:
    """cumExecQty / cumExecValue / feeDetail of a v3 order equal its v3 fills' execQty / execValue / fee."""
    account = Account(load_profile("uta"), 42, ANCHOR, "unified")
    coins = account.coins("BTCUSDT")
    for stream in ("uta_SPOT", "uta_MARGIN", "uta_USDT-FUTURES"):
        fills = defaultdict(list)
        for fill in account.stream_fills("BTCUSDT", stream):
            fills[fill.order["orderId"]].append(fill_row(fill))
        for order in account.stream_orders("BTCUSDT", stream)[:300]:
            row = uta_order_row(order, stream, coins)
            mine = fills.get(row["orderId"], [])
            assert Decimal(row["cumExecQty"]) == sum((Decimal(f["execQty"]) for f in mine), Decimal(0))
            assert Decimal(row["cumExecValue"]) == sum((Decimal(f["execValue"]) for f in mine), Decimal(0))
            if mine:
                fee = sum(Decimal(f["feeDetail"][0]["fee"]) for f in mine)
                assert [Decimal(row["feeDetail"][0]["fee"])] == [fee] and fee >= 0
                assert {f["side"] for f in mine} == {row["side"]}
            else:
                assert row["feeDetail"] == [{"feeCoin": None, "fee": None}]


def test_a_crowded_millisecond_spills_into_the_ones_before() -> None:
    """3000 orders created within 15 minutes of the anchor mostly finish at it (uTime is capped there): more than
    the 1000 trade ids a stream has per millisecond, so fills move back, still within their order's life."""
    profile = {"days": 0.01, "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 3000}}]}
    account = Account(load_profile(profile), 3, ANCHOR)
    fills = account.stream_fills("BTCUSDT", "spot_normal")
    assert sum(fill.time == ANCHOR for fill in fills) == 1000
    assert sum(fill.time == ANCHOR - 1 for fill in fills) > 0
    assert all(int(f.order["cTime"]) <= f.time <= int(f.order["uTime"]) for f in fills)
    ids = [fill.trade_id for fill in fills]
    assert ids == sorted(set(ids)) and [f.time for f in fills] == sorted(f.time for f in fills)
    assert all(fill.trade_id // 1_000_000 == fill.time for fill in fills)
