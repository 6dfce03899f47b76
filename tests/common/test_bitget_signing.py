"""Signing and query strings (lambda_functions/common/bitget/signing.py) against BITGET_API.md §1.2."""

from __future__ import annotations

import pytest

from lambda_functions.common.bitget import build_query_string, prehash, sign

SECRET = "bg_test_secret"
TS = 1700000000000


def test_signed_get_with_query_matches_the_published_vector() -> None:
    # GIVEN the parameters of the documented vector, in a non-sorted order
    params = {
        "symbol": "BTCUSDT",
        "startTime": 1699000000000,
        "limit": 100,
        "idLessThan": "1115965643967582214",
        "endTime": 1700000000000,
    }
    # WHEN the query string and the prehash are built
    text = prehash(TS, "GET", "/api/v2/spot/trade/history-orders", build_query_string(params))
    # THEN both equal the vector byte for byte, and so does the signature
    assert text == (
        "1700000000000GET/api/v2/spot/trade/history-orders?endTime=1700000000000"
        "&idLessThan=1115965643967582214&limit=100&startTime=1699000000000&symbol=BTCUSDT"
    )
    assert sign(text, SECRET) == "6+w8UAbdMQXTM3Lccrt1/JH1OH0DTEeiVaI2TFeGg54="


def test_signed_get_without_query_has_no_question_mark() -> None:
    text = prehash(TS, "GET", "/api/v2/mix/order/orders-history", "")
    assert text == "1700000000000GET/api/v2/mix/order/orders-history"
    assert sign(text, SECRET) == "SG+ZiZX5eWBferE65vrHNcRXrVwzTNu0UOzuxlyD+jo="


def test_post_body_vector_and_method_is_upper_cased() -> None:
    body = '{"symbol":"BTCUSDT","productType":"USDT-FUTURES","orderId":"1"}'
    text = prehash(str(TS), "post", "/api/v2/mix/order/cancel-order", "", body)
    assert text == f"1700000000000POST/api/v2/mix/order/cancel-order{body}"
    assert sign(text, SECRET) == "qLTDlDtnW4p+/GRV+NaNyTw348FbPCwl7USJjF+9hsU="


def test_query_string_sorts_keys_drops_none_and_stringifies() -> None:
    params = {"symbol": "BTCUSDT", "limit": 50, "idLessThan": None, "nextFlag": True, "endTime": 7}
    assert build_query_string(params) == "endTime=7&limit=50&nextFlag=true&symbol=BTCUSDT"


@pytest.mark.parametrize("params", [None, {}, {"symbol": None}])
def test_query_string_is_empty_when_nothing_is_left(params: dict | None) -> None:
    assert build_query_string(params) == ""


def test_query_string_keeps_ordinary_and_dollar_characters_raw() -> None:
    # Bitget's SDK and CCXT sign raw values; `$` appears in spot symbols ($ALTUSDT).
    params = {"productType": "USDT-FUTURES", "planType": "normal_plan", "symbol": "$ALTUSDT"}
    assert build_query_string(params) == "planType=normal_plan&productType=USDT-FUTURES&symbol=$ALTUSDT"


def test_query_string_encodes_only_what_would_break_the_query() -> None:
    params = {"a": "x&y=z", "b": "1+1 %", "c": "é#?"}
    assert build_query_string(params) == "a=x%26y%3Dz&b=1%2B1%20%25&c=%C3%A9%23%3F"
