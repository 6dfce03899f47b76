"""Record -> row mapping without a database: each fill shape (v2 spot, v2 futures, v3) and unified-account
orders land on the documented columns; fee totals stay exact; the probe that decides whether a document holds
fills sees through block boundaries and never misses one."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest

from app.models.fees import fee_total
from app.models.fill_rows import FILL_COLUMNS, FillRecordError, FillsProbe, check_fill_fits, fill_row
from app.models.order_rows import ORDER_COLUMNS, RejectedRows, order_row, row_chunks
from tests.services.fill_records import (
    ACCOUNT,
    ORDER_BASE,
    TRADE_BASE,
    document,
    mix_fill,
    spot_fill,
    uta_fill,
    uta_order,
)

NOW = "2026-12-01 00:00:00.000000"


def _fill(record: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(FILL_COLUMNS, check_fill_fits(fill_row(record, ACCOUNT, NOW)), strict=True))


def _order(record: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(ORDER_COLUMNS, order_row(record, ACCOUNT, NOW), strict=True))


def test_v2_spot_fill_columns() -> None:
    row = _fill(spot_fill(3))
    assert {k: row[k] for k in ("trade_id", "trade_id_num", "order_id", "stream", "market", "product_type")} == {
        "trade_id": str(TRADE_BASE + 3), "trade_id_num": TRADE_BASE + 3, "order_id": str(ORDER_BASE + 3),
        "stream": "spot_fills", "market": "spot", "product_type": None,
    }  # fmt: skip
    assert (row["price"], row["size"], row["amount"]) == ("64477.39", "0.0537", "3462.4358")
    assert (row["fee"], row["fee_coin"], row["profit"]) == ("-0.0000537", "BTC", None)
    assert (row["side"], row["order_type"], row["trade_scope"], row["trade_side"]) == (
        "buy",
        "market",
        "taker",
        None,
    )
    assert (row["c_time"], row["u_time"]) == (1_790_000_000_000 - 3000, 1_790_000_000_000 - 2997)


def test_v2_futures_fill_columns_sum_the_fee_list() -> None:
    row = _fill(mix_fill(1, "COIN-FUTURES", "BTCUSD"))
    assert (row["stream"], row["market"], row["product_type"]) == (
        "COIN-FUTURES_fills",
        "futures",
        "COIN-FUTURES",
    )
    assert (row["price"], row["size"], row["amount"], row["profit"]) == ("3184.2", "0.5", "1592.1", "12.5")
    assert (row["fee"], row["fee_coin"]) == ("-0.75", "USDT")  # -0.5 + -0.25, exact
    assert (row["trade_side"], row["trade_scope"], row["u_time"]) == (
        "close",
        "maker",
        None,
    )  # no uTime in v2 mix


@pytest.mark.parametrize(("category", "market", "product_type"), [
    ("SPOT", "spot", None), ("MARGIN", "margin", None), ("USDC-FUTURES", "futures", "USDC-FUTURES"),
])  # fmt: skip
def test_v3_fill_columns(category: str, market: str, product_type: str | None) -> None:
    row = _fill(uta_fill(2, category))
    assert (row["stream"], row["market"], row["product_type"]) == (
        f"uta_{category}_fills",
        market,
        product_type,
    )
    assert (row["price"], row["size"], row["amount"], row["profit"]) == (
        "107005.4",
        "0.0001",
        "10.70054",
        "-1.5",
    )
    assert (row["fee"], row["fee_coin"], row["trade_side"]) == ("0.00642032", "USDT", "open")
    assert (
        row["trade_id"] == str(TRADE_BASE + 2) and row["c_time"] == row["u_time"] == 1_790_000_000_000 - 2000
    )


def test_v3_fill_without_the_pipeline_copies_reads_exec_id_and_created_time() -> None:
    record = uta_fill(4)
    for copied in ("tradeId", "cTime", "uTime"):
        del record[copied]
    row = _fill(record)
    assert (row["trade_id"], row["c_time"], row["u_time"]) == (record["execId"], int(record["createdTime"]),
                                                               int(record["updatedTime"]))  # fmt: skip


@pytest.mark.parametrize(("category", "market", "product_type"), [
    ("SPOT", "spot", None), ("MARGIN", "margin", None), ("USDT-FUTURES", "futures", "USDT-FUTURES"),
])  # fmt: skip
def test_uta_order_columns(category: str, market: str, product_type: str | None) -> None:
    record = uta_order(5, category)
    row = _order(record)
    assert (row["stream"], row["market"], row["product_type"]) == (f"uta_{category}", market, product_type)
    assert {k: row[k] for k in ("size", "price", "price_avg", "status", "base_volume", "quote_volume")} == {
        "size": "0.0002", "price": "0", "price_avg": "107005.4", "status": "filled", "base_volume": "0.0002",
        "quote_volume": "21.40108",
    }  # fmt: skip
    assert (row["side"], row["order_type"], row["trade_side"], row["margin_mode"], row["pos_side"]) == (
        "sell",
        "market",
        "close",
        "crossed",
        "long",
    )
    assert (row["client_oid"], row["fee"], row["leverage"]) == ("uta-5", "0.00642033", None)
    assert (row["c_time"], row["u_time"]) == (int(record["createdTime"]), int(record["updatedTime"]))
    assert row["order_id_num"] == ORDER_BASE + 5


@pytest.mark.parametrize(("detail", "key", "expected"), [
    ([{"feeCoin": "USDT", "fee": "1E-8"}], "fee", ("0.00000001", "USDT")),  # exponent expanded
    ([{"feeCoin": "USDT", "fee": Decimal("-0.1")}, {"feeCoin": "USDT", "fee": "-0.2"}], "fee", ("-0.3", "USDT")),
    ([{"feeCoin": None, "fee": None}], "fee", (None, None)),  # an open order's placeholder
    ([{"feeCoin": "USDT", "fee": ""}], "fee", (None, "USDT")),
    ([{"feeCoin": "BGB", "fee": "-1"}, {"feeCoin": "USDT", "fee": "-2"}], "fee", (None, "BGB,USDT")),  # no mixed sum
    ('[{"feeCoin":"USDT","totalFee":-0.0000794}]', "totalFee", ("-0.0000794", "USDT")),  # JSON text, exact
    ({"feeCoin": "BTC", "totalFee": "-0.5"}, "totalFee", ("-0.5", "BTC")),
    ("not json", "fee", (None, None)),
    (None, "fee", (None, None)),
])  # fmt: skip
def test_fee_totals(detail: Any, key: str, expected: tuple[str | None, str | None]) -> None:
    assert fee_total(detail, key) == expected


@pytest.mark.parametrize(("record", "reason"), [
    ({**spot_fill(1), "tradeId": ""}, "needs stream, tradeId and symbol"),
    ({**spot_fill(1), "stream": "spot_normal"}, "is not a fill stream"),
    ({**spot_fill(1), "tradeId": "12x"}, "tradeId is not an integer"),
    ({**mix_fill(1), "cTime": "1700000000000.5"}, "cTime is not an integer"),
    ({**spot_fill(1), "side": "s" * 11}, "side longer than 10"),
    ("not an object", "not an object"),
])  # fmt: skip
def test_unusable_fill_records_are_refused(record: Any, reason: str) -> None:
    with pytest.raises(FillRecordError, match=reason):
        check_fill_fits(fill_row(record, ACCOUNT, NOW))


def test_fill_chunks_skip_and_count_bad_records() -> None:
    fills = [spot_fill(1), {**spot_fill(2), "tradeId": None}, mix_fill(3)]
    rejected = RejectedRows()
    chunks = list(row_chunks(io.BytesIO(document([], fills)), ACCOUNT, 10, rejected, "fills"))
    assert [row[FILL_COLUMNS.index("trade_id")] for row in chunks[0]] == [
        str(TRADE_BASE + 1),
        str(TRADE_BASE + 3),
    ]
    assert rejected.count == 1 and rejected.samples[0]["stream"] == "spot_fills"


def _probe(data: bytes, block: int) -> bool:
    probe = FillsProbe()
    for start in range(0, len(data), block):
        probe.feed(data[start : start + block])
    probe.feed(b"")
    return probe.may_hold_fills


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 20])
def test_probe_across_block_boundaries(block: int) -> None:
    assert _probe(document([uta_order(1)], [uta_fill(1)]), block) is True
    assert _probe(document([uta_order(1)], []), block) is False  # "fills":[] (an account without trades)
    assert _probe(document([uta_order(1)], None), block) is False  # written before fills existed
    assert _probe(b'{"orders":[],"fills" :\n [ \n ],"summary":{}}', block) is False
    assert _probe(b'{"orders":[],"fills":[ {"tradeId":"1"}]}', block) is True


def test_probe_is_unsure_until_the_end_is_read() -> None:
    probe = FillsProbe()
    probe.feed(document([uta_order(1)], [])[:-10])
    assert probe.may_hold_fills is True  # not read to its end: the second pass is taken
