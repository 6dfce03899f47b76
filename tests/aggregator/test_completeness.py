"""Completeness reaches the response: success, message, incomplete streams with Bitget's codes, unknown symbols
named, rejected rows kept in the document (exactly as sent)."""

from __future__ import annotations

import json
from decimal import Decimal

from lambda_functions.aggregator.response_optimizer import MAX_INCOMPLETE_LISTED
from lambda_functions.common.keys import manifest_key, result_key, symbol_detail_key, symbol_orders_key
from tests.aggregator.factory import (
    EXECUTION,
    PREFIX,
    make_orders,
    spot_order,
    stream_detail,
    worker_summary,
    write_detail,
    write_symbol_file,
)

DOC_KEY = result_key(PREFIX, EXECUTION)


def _event(results: list, symbols: list[str]) -> dict:
    return {"execution": EXECUTION, "symbols": symbols, "results": results}


def test_incomplete_streams_carry_bitgets_code_and_message_and_success_is_false(run, store) -> None:
    # GIVEN ETHUSDT's futures stream ended on Bitget's 429 and its spot stream on a timeout; BTCUSDT complete
    for symbol in ("BTCUSDT", "ETHUSDT"):
        write_symbol_file(store, symbol, make_orders(symbol, 20))
    write_detail(
        store,
        "ETHUSDT",
        {
            "USDT-FUTURES": stream_detail(
                8, complete=False, reason="rate_limit", error_code="429", error_message="Too Many Requests"
            ),
            "spot_normal": stream_detail(12, complete=False, reason="timeout"),
        },
    )
    results = [
        worker_summary("BTCUSDT", 20),
        worker_summary(
            "ETHUSDT", 20, complete=False, incomplete_streams=["USDT-FUTURES", "spot_normal"], errors={}
        ),
    ]
    # WHEN aggregated
    response = run(_event(results, ["BTCUSDT", "ETHUSDT"]))
    summary = response["summary"]
    # THEN the response says it is incomplete, why, and with Bitget's own words
    assert response["success"] is False
    assert summary["complete"] is False
    assert summary["incomplete_streams"] == [
        {
            "symbol": "ETHUSDT",
            "stream": "USDT-FUTURES",
            "reason": "rate_limit",
            "error_code": "429",
            "error_message": "Too Many Requests",
        },
        {
            "symbol": "ETHUSDT",
            "stream": "spot_normal",
            "reason": "timeout",
            "error_code": None,
            "error_message": None,
        },
    ]
    assert (summary["incomplete_streams_count"], summary["incomplete_streams_omitted"]) == (2, 0)
    assert response["message"] == (
        "Extraction incomplete: 2 streams of 1 symbol could not be paged to the end "
        "(ETHUSDT/USDT-FUTURES: rate_limit 429 (Too Many Requests); ETHUSDT/spot_normal: timeout)"
    )
    assert store.get_json(manifest_key(PREFIX, EXECUTION))["result"] == response
    assert store.get_json(DOC_KEY)["summary"] == summary


def test_unknown_symbols_are_named_and_do_not_make_it_incomplete(run, store) -> None:
    write_symbol_file(store, "BTCUSDT", make_orders("BTCUSDT", 10))
    write_symbol_file(store, "FOOUSDT", [])
    results = [
        worker_summary("BTCUSDT", 10),
        worker_summary("FOOUSDT", 0, symbol_not_found=True, errors={"symbol_not_found": 1}),
    ]
    response = run(_event(results, ["BTCUSDT", "FOOUSDT"]))
    summary = response["summary"]
    assert (response["success"], summary["complete"]) == (True, True)
    assert summary["symbols_not_found"] == ["FOOUSDT"]
    assert summary["symbols_not_found_count"] == 1
    assert summary["incomplete_streams"] == []
    assert response["message"] == "Órdenes procesadas exitosamente; 1 symbol not found on Bitget: FOOUSDT"


def test_complete_run_keeps_the_originals_message(run, store) -> None:
    write_symbol_file(store, "BTCUSDT", make_orders("BTCUSDT", 10))
    response = run(_event([worker_summary("BTCUSDT", 10)], ["BTCUSDT"]))
    assert (response["success"], response["message"]) == (True, "Órdenes procesadas exitosamente")
    summary = response["summary"]
    assert (summary["symbols_not_found"], summary["rejected_rows"], summary["incomplete_streams"]) == (
        [],
        0,
        [],
    )


def test_rejected_rows_reach_the_document_exactly_as_sent(run, store) -> None:
    # GIVEN a worker that rejected 3 rows of spot_normal (2 samples kept, numbers as Bitget sent them) ...
    orders = make_orders("BTCUSDT", 30)
    write_symbol_file(store, "BTCUSDT", orders)
    detail = (
        '{"symbol":"BTCUSDT","streams":{"spot_normal":{"orders":30,"complete":true,"reason":null,'
        '"rejected_rows":3,"rejected":['
        '{"reason":"cTime is not an integer: \'abc\'","row":{"orderId":"1","cTime":"abc","fee":1e-8}},'
        '{"reason":"missing orderId","row":{"cTime":"1000","price":"20.0000000000000000","x":0.12345678901234567891}}'
        "]}}}"
    )
    with store.writer(symbol_detail_key(PREFIX, EXECUTION, "BTCUSDT")) as fh:
        fh.write(detail.encode())
    # ... and a row without cTime that reached the orders file anyway (the merge sets it aside)
    broken = spot_order("BTCUSDT", 5, 1)
    del broken["cTime"]
    store.put_json(
        symbol_orders_key(PREFIX, EXECUTION, "BTCUSDT"),
        {"symbol": "BTCUSDT", "execution": EXECUTION, "orders": [*orders, broken]},
    )
    # WHEN aggregated
    response = run(_event([worker_summary("BTCUSDT", 31, rejected_rows=3)], ["BTCUSDT"]))
    # THEN every rejected row is in the document, next to the summary, none changed; the count covers all
    with store.reader(DOC_KEY) as fh:
        text = fh.read().decode()
    document = json.loads(text, parse_float=Decimal)
    assert len(document["orders"]) == 30
    rejected = document["rejected_rows"]
    assert [(r["symbol"], r["stream"]) for r in rejected] == [("BTCUSDT", "spot_normal")] * 2 + [
        ("BTCUSDT", "spot_normal")
    ]
    assert rejected[0]["row"]["fee"] == Decimal("1e-8") and '"fee":0.00000001' in text
    assert rejected[1]["row"] == {
        "cTime": "1000",
        "price": "20.0000000000000000",
        "x": Decimal("0.12345678901234567891"),
    }
    assert rejected[2]["row"] == broken and "cTime" in rejected[2]["reason"]
    assert response["summary"]["rejected_rows"] == 4
    assert response["summary"]["complete"] is True  # paged to the end; the rows are kept, not lost
    assert response["success"] is True
    assert response["message"].endswith("; 4 rows rejected (see rejected_rows in the document)")


def test_incomplete_streams_are_capped_with_a_count_of_the_rest(run, store) -> None:
    symbols = [f"S{i:03d}USDT" for i in range(30)]
    streams = ["spot_normal", "spot_tpsl", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"]
    results = []
    for symbol in symbols:
        write_symbol_file(store, symbol, [])
        write_detail(
            store,
            symbol,
            {
                s: stream_detail(complete=False, reason="server_error", error_message="m" * 500)
                for s in streams
            },
        )
        results.append(worker_summary(symbol, 0, complete=False, incomplete_streams=streams))
    response = run(_event(results, symbols))
    summary = response["summary"]
    assert len(summary["incomplete_streams"]) == MAX_INCOMPLETE_LISTED
    assert (summary["incomplete_streams_count"], summary["incomplete_streams_omitted"]) == (150, 50)
    assert {len(e["error_message"]) for e in summary["incomplete_streams"]} == {200}
    assert "150 streams of 30 symbols" in response["message"] and response["message"].endswith("; 147 more)")
    assert len(json.dumps(response)) < 64 * 1024


def test_response_orders_are_plain_json_even_with_exact_numbers(run, store) -> None:
    text = (
        '{"symbol":"BTCUSDT","execution":"' + EXECUTION + '","orders":['
        '{"orderId":"2","cTime":"2000","stream":"spot_normal","symbol":"BTCUSDT","fee":-0.0000794},'
        '{"orderId":"1","cTime":"1000","stream":"spot_normal","symbol":"BTCUSDT","fee":3}]}'
    )
    with store.writer(symbol_orders_key(PREFIX, EXECUTION, "BTCUSDT")) as fh:
        fh.write(text.encode())
    write_detail(store, "BTCUSDT", {})
    response = run(_event([worker_summary("BTCUSDT", 2)], ["BTCUSDT"]), response_max_orders=5)
    assert [o["fee"] for o in response["orders"]] == [-0.0000794, 3]  # the preview: JSON numbers
    with store.reader(DOC_KEY) as fh:
        assert b'"fee":-0.0000794}' in fh.read()  # the document: exactly as sent
