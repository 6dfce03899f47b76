"""JSON log lines carry correlation fields; the newest-first order is total and breaks cTime ties by id."""

from __future__ import annotations

import json
import logging

from lambda_functions.common.logs import JsonFormatter, configure_json_logging
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


def test_handler_logging_call_leaves_a_configured_host_alone(monkeypatch):
    root = logging.getLogger()
    host_handler = logging.StreamHandler()
    monkeypatch.setattr(root, "handlers", [host_handler])
    monkeypatch.setattr(root, "level", logging.WARNING)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)

    configure_json_logging()

    assert root.handlers == [host_handler]
    assert root.level == logging.WARNING


def test_on_lambda_the_runtime_handler_gets_the_json_formatter(monkeypatch):
    root = logging.getLogger()
    runtime_handler = logging.StreamHandler()
    monkeypatch.setattr(root, "handlers", [runtime_handler])
    monkeypatch.setattr(root, "level", logging.WARNING)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "bitget-worker")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")

    configure_json_logging()
    configure_json_logging()

    assert root.handlers == [runtime_handler]
    assert isinstance(runtime_handler.formatter, JsonFormatter)
    assert root.level == logging.DEBUG
