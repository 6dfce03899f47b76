"""The consolidated document is valid JSON, streamable at `orders.item`, rejected rows and summary last."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import ijson
import pytest

from lambda_functions.aggregator.writer import write_document
from tests.aggregator.factory import make_orders


def test_document_round_trips_and_streams() -> None:
    orders = make_orders("BTCUSDT", 2500)  # more than one write batch
    fh = io.BytesIO()
    written = write_document(
        fh,
        {"execution": "e", "execution_arn": "arn", "generated_at": "t"},
        iter(orders),
        lambda: {"total_orders": 2500},
    )
    document = json.loads(fh.getvalue())
    assert written == 2500
    assert list(document) == [
        "execution",
        "execution_arn",
        "generated_at",
        "orders",
        "fills",
        "rejected_rows",
        "summary",
    ]
    assert document["orders"] == orders
    assert document["summary"] == {"total_orders": 2500}
    assert list(ijson.items(io.BytesIO(fh.getvalue()), "orders.item")) == orders


def test_empty_orders_and_unicode() -> None:
    fh = io.BytesIO()
    write_document(fh, {"execution": "ñ"}, iter([]), lambda: {})
    assert json.loads(fh.getvalue()) == {
        "execution": "ñ",
        "orders": [],
        "fills": [],
        "rejected_rows": [],
        "summary": {},
    }


def test_fills_follow_the_orders_and_stream_on_their_own() -> None:
    orders = make_orders("BTCUSDT", 3)
    fills = [
        {"tradeId": str(9 - i), "cTime": "1", "stream": "spot_fills", "size": Decimal("0.10")}
        for i in range(3)
    ]
    fh = io.BytesIO()
    write_document(fh, {}, iter(orders), dict, fills=lambda: iter(fills))
    assert list(ijson.items(io.BytesIO(fh.getvalue()), "fills.item")) == fills
    assert list(ijson.items(io.BytesIO(fh.getvalue()), "orders.item")) == orders


def test_summary_is_computed_after_the_orders() -> None:
    seen: list[int] = []
    consumed = []

    def orders():
        for order in make_orders("ETHUSDT", 3):
            consumed.append(order)
            yield order

    def summary() -> dict[str, Any]:
        seen.append(len(consumed))
        return {}

    write_document(io.BytesIO(), {}, orders(), summary)
    assert seen == [3]


def test_header_cannot_shadow_orders() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        write_document(io.BytesIO(), {"orders": []}, iter([]), dict)


def test_rejected_rows_and_exact_numbers() -> None:
    # GIVEN orders and rejected rows holding Decimal numbers (as ijson parses them), more than a batch of each
    orders = make_orders("BTCUSDT", 1500)
    orders[700] = orders[700] | {"fee": Decimal("-1E-8"), "rate": Decimal("0.000079400")}
    rejected = [
        {"symbol": "BTCUSDT", "stream": "spot_normal", "reason": "bad cTime", "row": {"n": Decimal("1e-7")}}
    ]
    fh = io.BytesIO()
    # WHEN written
    write_document(
        fh, {"execution": "e"}, iter(orders), lambda: {"rejected_rows": 1}, lambda: iter(rejected * 1001)
    )
    text = fh.getvalue().decode()
    # THEN the numbers are written in plain notation, digit for digit, and the document parses whole
    assert '"fee":-0.00000001,' in text and '"rate":0.000079400}' in text
    assert '"row":{"n":0.0000001}' in text
    document = json.loads(text, parse_float=Decimal)
    assert document["orders"][700]["rate"] == Decimal("0.000079400")
    assert len(document["rejected_rows"]) == 1001
    assert list(document)[-2:] == ["rejected_rows", "summary"]
