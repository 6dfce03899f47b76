"""JSON log lines carry correlation fields; the newest-first order is total and breaks cTime ties by id."""

from __future__ import annotations

import json
import logging

from lambda_functions.common.logs import JsonFormatter
from lambda_functions.common.streams import futures_plan_stream, market_of, newest_first_key


def test_json_formatter_emits_one_object_with_extra_fields():
    record = logging.makeLogRecord(
        {
            "name": "worker",
            "levelname": "INFO",
            "msg": "page %d",
            "args": (3,),
            "execution": "e1",
            "symbol": "BTCUSDT",
        }
    )
    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert entry["message"] == "page 3"
    assert entry["execution"] == "e1"
    assert entry["symbol"] == "BTCUSDT"
    assert "\n" not in line


def test_newest_first_breaks_ties_by_order_id_then_stream():
    orders = [
        {"cTime": "100", "orderId": "11", "stream": "spot_normal"},
        {"cTime": "200", "orderId": "12", "stream": "spot_normal"},
        {"cTime": "100", "orderId": "13", "stream": "USDT-FUTURES"},
        {"cTime": "100", "orderId": "13", "stream": "spot_tpsl"},
    ]
    ordered = sorted(orders, key=newest_first_key, reverse=True)

    assert [(o["orderId"], o["stream"]) for o in ordered] == [
        ("12", "spot_normal"),
        ("13", "spot_tpsl"),
        ("13", "USDT-FUTURES"),
        ("11", "spot_normal"),
    ]


def test_stream_names():
    assert futures_plan_stream("USDT-FUTURES") == "USDT-FUTURES_plan"
    assert market_of("spot_tpsl") == "spot"
    assert market_of("COIN-FUTURES_plan") == "futures"
