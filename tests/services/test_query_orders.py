"""An execution's pages through its links: offset pages, keyset cursor pages and filters agree with the sorted
truth; totals are cheap and right; another execution's links sharing the same ledger rows never leak in."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from functools import partial
from typing import Any, TypedDict, Unpack

import pytest
from sqlalchemy import Engine, text

from app.services.ledger_reads.cursors import InvalidCursorError, encode_cursor
from app.services.ledger_reads.execution_pages import PageQuery
from app.services.ledger_reads.reader import reading
from app.services.order_queries import OrderQueries
from tests.services import ledger_fixtures as fixtures
from tests.services.ledger_fixtures import LedgerWriter, make_ledger_orders, newest_first

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:query"
OTHER_ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:other"
ORDER_COUNT = 730


ledger_mysql_url, ledger_database, ledger_engine = (
    fixtures.ledger_mysql_url,
    fixtures.ledger_database,
    fixtures.ledger_engine,
)


def reads_of(engine: Engine) -> OrderQueries:
    return OrderQueries(partial(reading, engine))


@pytest.fixture
def stored(ledger_engine: Engine) -> tuple[OrderQueries, list[dict[str, Any]]]:
    """ARN saw the first ORDER_COUNT orders; OTHER_ARN saw every third, some of them beyond ARN's (shared
    ledger rows). Returns the reads and every ledger row."""
    writer = LedgerWriter(ledger_engine)
    rows = make_ledger_orders(ORDER_COUNT + 50, "acc-1")
    writer.orders(rows)
    writer.execution_with_orders(ARN, "acc-1", rows[:ORDER_COUNT])
    writer.execution_with_orders(OTHER_ARN, "acc-1", rows[::3])
    return reads_of(ledger_engine), rows


class Filters(TypedDict, total=False):
    """The filters a page query takes."""

    symbol: str
    stream: str


def truth(rows: list[dict[str, Any]], **filters: Unpack[Filters]) -> list[int]:
    """The ids of `rows` matching `filters`, newest first."""
    return [r["id"] for r in newest_first(rows) if all(r[k] == v for k, v in filters.items())]


def arn_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:ORDER_COUNT]


def offset_walk(reads: OrderQueries, limit: int, **filters: Unpack[Filters]) -> list[int]:
    ids, skip = [], 0
    while True:
        page = reads.query_orders(ARN, skip=skip, limit=limit, **filters)
        ids += [o["id"] for o in page.orders]
        skip += limit
        if not page.has_more:
            return ids


def cursor_walk(reads: OrderQueries, limit: int, **filters: Unpack[Filters]) -> list[int]:
    ids, cursor = [], None
    while True:
        page = reads.query_orders(ARN, limit=limit, cursor=cursor, **filters)
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
    stored: tuple[OrderQueries, list[Any]], filters: Filters
) -> None:
    reads, rows = stored
    expected = truth(arn_rows(rows), **filters)
    assert len(expected) > 0
    assert cursor_walk(reads, 100, **filters) == expected
    assert offset_walk(reads, 37, **filters) == expected


def test_page_fields_are_todays(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, rows = stored
    page = reads.query_orders(ARN, skip=5, limit=10)
    assert (page.total, page.skip, page.limit, page.returned_count, page.has_more) == (
        ORDER_COUNT,
        5,
        10,
        10,
        True,
    )
    assert [o["id"] for o in page.orders] == truth(arn_rows(rows))[5:15]
    first = page.orders[0]
    source = next(r for r in rows if r["id"] == first["id"])
    assert list(first) == [
        "id", "symbol", "order_id", "stream", "market", "product_type", "client_oid", "side", "trade_side",
        "status", "order_type", "price", "price_avg", "size", "base_volume", "quote_volume", "fee", "leverage",
        "margin_mode", "pos_side", "c_time", "u_time", "created_at", "raw",
    ]  # fmt: skip
    assert first["raw"] == json.loads(source["raw"])
    assert first["created_at"] == source["created_at"].isoformat() + "Z"
    assert (first["order_id"], first["c_time"], first["size"]) == (
        source["order_id"],
        source["c_time"],
        source["size"],
    )
    lean = reads.query_orders(ARN, skip=5, limit=10, include_raw=False)
    assert [{k: v for k, v in o.items() if k != "raw"} for o in page.orders] == lean.orders


def test_another_executions_links_never_leak(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, rows = stored
    other = reads.query_orders(OTHER_ARN, limit=100)
    assert other.total == len(rows[::3]) != ORDER_COUNT
    assert [o["id"] for o in other.orders] == truth(rows[::3])[:100]
    assert cursor_walk(reads, 100) == truth(arn_rows(rows))  # ARN's pages hold none of OTHER_ARN's own


def test_filtered_totals_are_counted_once_per_execution_state(
    stored: tuple[OrderQueries, list[Any]], ledger_engine: Engine
) -> None:
    reads, rows = stored
    first = reads.query_orders(ARN, limit=5, symbol="XRPUSDT")
    assert first.total == len(truth(arn_rows(rows), symbol="XRPUSDT"))
    counted = reads.execution_totals.computed
    for _ in range(3):
        assert (
            reads.query_orders(ARN, limit=5, symbol="XRPUSDT", cursor=first.next_cursor).total == first.total
        )
    assert reads.execution_totals.computed == counted  # served from the cache
    # GIVEN the execution changes (a hydration step rewrites its record): WHEN read again THEN counted again
    with ledger_engine.begin() as connection:
        connection.execute(
            text("DELETE FROM execution_orders WHERE order_pk = :pk"),
            {"pk": truth(arn_rows(rows), symbol="XRPUSDT")[0]},
        )
        connection.execute(
            text(
                "UPDATE execution_results SET orders_saved = orders_saved - 1, updated_at = :now WHERE execution_arn = :arn"
            ),
            {"now": "2026-11-02 00:00:00", "arn": ARN},
        )
    assert reads.query_orders(ARN, limit=5, symbol="XRPUSDT").total == first.total - 1
    assert reads.execution_totals.computed == counted + 1


def test_unsaved_execution_counts_its_links(ledger_engine: Engine) -> None:
    writer = LedgerWriter(ledger_engine)
    rows = make_ledger_orders(40, "acc-2")
    writer.orders(rows)
    execution_id = writer.execution(ARN, "acc-2", hydration_state="saving", orders_saved=0)
    writer.link(execution_id, rows[:25])
    assert reads_of(ledger_engine).query_orders(ARN, limit=10).total == 25


def test_last_page_and_beyond(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, _ = stored
    last = reads.query_orders(ARN, skip=ORDER_COUNT - 2, limit=10)
    assert (last.returned_count, last.has_more, last.next_cursor) == (2, False, None)
    empty = reads.query_orders(ARN, skip=ORDER_COUNT + 5, limit=10)
    assert (empty.returned_count, empty.has_more, empty.orders) == (0, False, [])


def test_cursor_and_skip_combine(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, rows = stored
    first = reads.query_orders(ARN, limit=20)
    after = reads.query_orders(ARN, limit=5, skip=3, cursor=first.next_cursor)
    assert [o["id"] for o in after.orders] == truth(arn_rows(rows))[23:28]


def test_json_page_is_the_same_page(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, _ = stored
    page = reads.query_orders(ARN, limit=7, symbol="ETHUSDT")
    body = json.loads(reads.orders_page_json(ARN, PageQuery(limit=7, symbol="ETHUSDT")))
    assert body["orders"] == page.orders
    assert body["pagination"] == {
        "skip": 0, "limit": 7, "total_orders": page.total, "returned_count": 7, "has_more": True,
        "next_cursor": page.next_cursor,
    }  # fmt: skip
    assert body["execution_info"]["status"] == "SUCCEEDED"
    assert body["execution_info"]["symbols"] == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    assert body["execution_info"]["created_at"] == "2026-11-01T12:00:00.123456Z"
    lean = json.loads(reads.orders_page_json(ARN, PageQuery(limit=7, symbol="ETHUSDT", include_raw=False)))
    assert all("raw" not in o for o in lean["orders"]) and len(lean["orders"]) == 7


def test_unfinished_execution_is_refreshed_before_the_page(ledger_engine: Engine) -> None:
    writer = LedgerWriter(ledger_engine)
    writer.execution(ARN, "acc-3", status="RUNNING", hydration_state="pending")
    seen: list[str] = []

    def refresh(arn: str) -> None:
        seen.append(arn)
        with ledger_engine.begin() as connection:
            connection.execute(
                text("UPDATE execution_results SET status = 'FAILED' WHERE execution_arn = :a"), {"a": arn}
            )

    body = json.loads(reads_of(ledger_engine).orders_page_json(ARN, PageQuery(), refresh=refresh))
    assert seen == [ARN] and body["execution_info"]["status"] == "FAILED"
    assert body["orders"] == [] and body["pagination"]["total_orders"] == 0


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
def test_malformed_cursor_is_rejected(stored: tuple[OrderQueries, list[Any]], cursor: str) -> None:
    reads, _ = stored
    with pytest.raises(InvalidCursorError, match="cursor is malformed"):
        reads.query_orders(ARN, cursor=cursor)
    with pytest.raises(InvalidCursorError, match="cursor is malformed"):
        reads.orders_page_json(ARN, PageQuery(cursor=cursor))


def test_cursor_round_trip_is_opaque_text(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, _ = stored
    token = encode_cursor(1_700_000_000_000, 1_115_965_643_967_582_214, 42)
    assert token.isascii() and "=" not in token
    assert reads.query_orders(ARN, cursor=token).orders == []


def test_documents_escape_text_and_drop_a_zero_fraction(ledger_engine: Engine) -> None:
    """The database builds each row's JSON: quotes, backslashes, control and non-ASCII characters survive,
    and a created_at without microseconds reads as Python's isoformat does (no fraction)."""
    writer = LedgerWriter(ledger_engine)
    rows = make_ledger_orders(2, "acc-4")
    rows[0] |= {"client_oid": 'a"b\\c\n\té€😀', "price": "", "created_at": datetime(2026, 11, 1, 12, 0, 0)}
    writer.orders(rows)
    writer.execution_with_orders(ARN, "acc-4", rows)
    reads = reads_of(ledger_engine)
    for page in (reads.query_orders(ARN, limit=5), reads.query_orders(ARN, limit=5, include_raw=False)):
        first = next(o for o in page.orders if o["id"] == rows[0]["id"])
        assert (first["client_oid"], first["price"]) == ('a"b\\c\n\té€😀', "")
        assert first["created_at"] == "2026-11-01T12:00:00Z"
    body = json.loads(reads.orders_page_json(ARN, PageQuery(limit=5)))
    assert {o["client_oid"] for o in body["orders"]} == {'a"b\\c\n\té€😀', rows[1]["client_oid"]}
