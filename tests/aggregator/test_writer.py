"""The consolidated document is valid JSON, streamable at `orders.item`, with summary last."""

from __future__ import annotations

import io
import json

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
    assert list(document) == ["execution", "execution_arn", "generated_at", "orders", "summary"]
    assert document["orders"] == orders
    assert document["summary"] == {"total_orders": 2500}
    assert list(ijson.items(io.BytesIO(fh.getvalue()), "orders.item")) == orders


def test_empty_orders_and_unicode() -> None:
    fh = io.BytesIO()
    write_document(fh, {"execution": "ñ"}, iter([]), lambda: {})
    assert json.loads(fh.getvalue()) == {"execution": "ñ", "orders": [], "summary": {}}


def test_summary_is_computed_after_the_orders() -> None:
    seen: list[int] = []
    consumed = []

    def orders():
        for order in make_orders("ETHUSDT", 3):
            consumed.append(order)
            yield order

    write_document(io.BytesIO(), {}, orders(), lambda: seen.append(len(consumed)) or {})
    assert seen == [3]


def test_header_cannot_shadow_orders() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        write_document(io.BytesIO(), {"orders": []}, iter([]), dict)
