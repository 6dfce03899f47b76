"""The worker's event: every malformed field named, the symbol normalised (events.py)."""

from __future__ import annotations

import pytest

from lambda_functions.worker.events import parse_event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (None, "JSON object"),
        ({"execution": "e"}, "'symbol'"),
        ({"symbol": 5, "execution": "e"}, "'symbol'"),
        ({"symbol": "BTC/USDT", "execution": "e"}, "'symbol'"),
        ({"symbol": "BTCUSDT"}, "'execution'"),
        ({"symbol": "BTCUSDT", "execution": "../x"}, "'execution'"),
        ({"symbol": "BTCUSDT", "execution": "e", "start_ms": "1"}, "'start_ms'"),
        ({"symbol": "BTCUSDT", "execution": "e", "end_ms": True}, "'end_ms'"),
        ({"symbol": "BTCUSDT", "execution": "e", "start_ms": 5, "end_ms": 5}, "before"),
    ],
)
def test_invalid_events_raise_a_clear_value_error(event, message):
    with pytest.raises(ValueError, match=message):
        parse_event(event)


def test_symbol_is_normalised_to_upper_case():
    request = parse_event({"symbol": " btcusdt ", "execution": "e", "start_ms": 1, "end_ms": 2})
    assert (request.symbol, request.start_ms, request.end_ms) == ("BTCUSDT", 1, 2)
