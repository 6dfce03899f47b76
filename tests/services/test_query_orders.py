"""query_orders: offset pages, keyset cursor pages and filters all agree with the sorted truth."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from app.models.database import Order
from app.services.database_service import DatabaseService, InvalidCursorError, encode_cursor
from tests.services.factories import file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:query"
ORDER_COUNT = 730


@pytest.fixture
def hydrated(service: DatabaseService, tmp_path: Path) -> DatabaseService:
    orders = make_orders(ORDER_COUNT)
    # Same orderId and cTime in two streams: only the row id can break that tie.
    twin = dict(orders[10], stream="spot_tpsl" if orders[10]["stream"] != "spot_tpsl" else "spot_normal")
    orders.insert(11, twin)
    state = service.hydrate(ARN, file_source(write_document(tmp_path / "r.json", orders)), source="file")
    assert state.state == "saved"
    return service


def truth(engine: Engine, **filters: str) -> list[int]:
    """Row ids newest first, sorted in Python from every stored row."""
    query = select(Order.id, Order.c_time, Order.order_id, Order.symbol, Order.stream).where(
        Order.execution_arn == ARN
    )
    with engine.connect() as connection:
        rows = [r for r in connection.execute(query) if all(getattr(r, k) == v for k, v in filters.items())]
    rows.sort(key=lambda r: (r.c_time, int(r.order_id), r.id), reverse=True)
    return [r.id for r in rows]


def offset_walk(service: DatabaseService, limit: int, **filters: str) -> list[int]:
    ids, skip = [], 0
    while True:
        page = service.query_orders(ARN, skip=skip, limit=limit, **filters)
        ids += [o["id"] for o in page.orders]
        skip += limit
        if not page.has_more:
            return ids


def cursor_walk(service: DatabaseService, limit: int, **filters: str) -> list[int]:
    ids, cursor = [], None
    while True:
        page = service.query_orders(ARN, limit=limit, cursor=cursor, **filters)
        ids += [o["id"] for o in page.orders]
        if not page.has_more:
            assert page.next_cursor is None
            return ids
        cursor = page.next_cursor


@pytest.mark.parametrize(
    "filters",
    [{}, {"symbol": "ETHUSDT"}, {"stream": "USDT-FUTURES"}, {"symbol": "BTCUSDT", "stream": "spot_tpsl"}],
)
def test_cursor_walk_equals_offset_walk_equals_truth(
    hydrated: DatabaseService, engine: Engine, filters: dict[str, str]
) -> None:
    expected = truth(engine, **filters)
    assert len(expected) > 0
    assert cursor_walk(hydrated, 100, **filters) == expected
    assert offset_walk(hydrated, 37, **filters) == expected


def test_page_fields_and_totals(hydrated: DatabaseService, engine: Engine) -> None:
    page = hydrated.query_orders(ARN, skip=5, limit=10)
    assert (page.total, page.skip, page.limit, page.returned_count, page.has_more) == (
        ORDER_COUNT + 1,
        5,
        10,
        10,
        True,
    )
    assert [o["id"] for o in page.orders] == truth(engine)[5:15]
    first = page.orders[0]
    assert {
        "symbol",
        "order_id",
        "stream",
        "market",
        "side",
        "status",
        "price",
        "size",
        "c_time",
        "created_at",
    } <= set(first)
    assert first["raw"]["orderId"] == first["order_id"]
    assert "order_id_num" not in first
    filtered = hydrated.query_orders(ARN, limit=100, symbol="XRPUSDT")
    assert filtered.total == len(truth(engine, symbol="XRPUSDT"))
    assert {o["symbol"] for o in filtered.orders} == {"XRPUSDT"}


def test_last_page_and_beyond(hydrated: DatabaseService) -> None:
    last = hydrated.query_orders(ARN, skip=ORDER_COUNT - 1, limit=10)
    assert (last.returned_count, last.has_more, last.next_cursor) == (2, False, None)
    empty = hydrated.query_orders(ARN, skip=ORDER_COUNT + 5, limit=10)
    assert (empty.returned_count, empty.has_more, empty.orders) == (0, False, [])


def test_cursor_and_skip_combine(hydrated: DatabaseService, engine: Engine) -> None:
    first = hydrated.query_orders(ARN, limit=20)
    after = hydrated.query_orders(ARN, limit=5, skip=3, cursor=first.next_cursor)
    assert [o["id"] for o in after.orders] == truth(engine)[23:28]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "",
        _b64("[1,2]"),
        _b64('["a",1,2]'),
        _b64("{}"),
        _b64("[1,2,true]"),
        _b64("[1,2,-3]"),
        _b64("[1000000000000000000000000000000,1,1]"),  # beyond BIGINT: the driver would overflow
        "%%%",
    ],
)
def test_malformed_cursor_is_rejected(service: DatabaseService, cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="cursor is malformed"):
        service.query_orders(ARN, cursor=cursor)


def test_cursor_round_trip_is_opaque_text(service: DatabaseService) -> None:
    token = encode_cursor(1_700_000_000_000, 1_115_965_643_967_582_214, 42)
    assert token.isascii() and "=" not in token
    assert service.query_orders(ARN, cursor=token).orders == []
