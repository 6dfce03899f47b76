"""order_stream: the same orders (and their exact text) as a full JSON parse, whatever the layout and block size."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app.models import order_stream
from app.models.order_stream import MalformedDocumentError, iter_orders

ORDERS = [
    {"orderId": "1", "symbol": "BTCUSDT", "price": 1.5, "n": 12345678901234567890123, "ok": True},
    {"orderId": "2", "note": "ünïcødé € 😀", "feeDetail": '{"newFees":{"t":-0.1}}', "nested": {"a": [1, {}]}},
    {"orderId": "3", "e": [], "z": None, "exp": 1e-7},
]


def parsed(data: bytes) -> list[tuple[Any, str]]:
    return list(iter_orders(io.BytesIO(data)))


@pytest.fixture(params=[7, 64, 1 << 20], ids=["tiny-blocks", "small-blocks", "default-blocks"])
def block_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(order_stream, "BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize(
    "dump",
    [
        lambda d: json.dumps(d, separators=(",", ":"), ensure_ascii=False),
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, indent=2),
        lambda d: json.dumps(d, indent="\t", ensure_ascii=False),
    ],
    ids=["compact-utf8", "default", "indented", "tabs-utf8"],
)
def test_orders_and_their_text_match_a_full_parse(block_bytes: int, dump: Any) -> None:
    document = {
        "execution": "x",
        "meta": {"orders": [{"not": "these"}]},
        "orders": ORDERS,
        "summary": {"n": 3},
    }
    got = parsed(dump(document).encode())
    assert [order for order, _ in got] == ORDERS
    assert [json.loads(text) for _, text in got] == ORDERS  # the text is the order, nothing around it


def test_orders_anywhere_among_the_keys_and_empty_arrays(block_bytes: int) -> None:
    assert parsed(b'{"orders": [], "a": 1}') == []
    assert parsed(b"{}") == []
    assert parsed(b' { "summary" : {"x":[1,2]} , "orders" : [ {"orderId":"9"} ] } \n') == [
        ({"orderId": "9"}, '{"orderId":"9"}')
    ]
    assert [o for o, _ in parsed(b'{"orders":[1, "x", null]}')] == [1, "x", None]  # order_row rejects these


@pytest.mark.parametrize(
    "data",
    [
        b'{"orders":[{"orderId":"1"},{"orderId":"2"}',  # truncated
        b'{"orders":[{"orderId":"1"}],"summary":{"n":1}',  # truncated after the orders
        b'{"orders":[{"orderId":"1"} {"orderId":"2"}]}',  # missing comma
        b'{"orders":[{"orderId":"1"}]} trailing',
        b'{"orders":[{"price":NaN}]}',
        b'["orders"]',
        b"",
    ],
)
def test_malformed_documents_raise(block_bytes: int, data: bytes) -> None:
    with pytest.raises(MalformedDocumentError):
        parsed(data)


def test_a_number_split_across_blocks_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"orders":[{"a":1},123456789],"n":98765}'
    for size in range(1, len(data) + 1):
        monkeypatch.setattr(order_stream, "BLOCK_BYTES", size)
        assert [o for o, _ in parsed(data)] == [{"a": 1}, 123456789]
