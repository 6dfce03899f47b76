"""An account's reads: keyset pages equal the sorted truth under every filter, cursors are bound to their
filters, summaries count and merge coverage into gaps (retention-aware), and exports hold exactly the rows
the pages show."""

from __future__ import annotations

import csv
import io
import json
from functools import partial
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from app.services.ledger_reads import coverage
from app.services.ledger_reads.account_pages import AccountFilters, InvalidFiltersError
from app.services.ledger_reads.cursors import InvalidCursorError
from app.services.ledger_reads.exports import ExportFormat
from app.services.ledger_reads.reader import reading
from app.services.ledger_reads.rows import EXPORT_FIELDS
from app.services.ledger_reads.summaries import AccountNotFoundError
from app.services.order_queries import OrderQueries
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from tests.services import ledger_fixtures as fixtures
from tests.services.ledger_fixtures import BASE_MS, LedgerWriter, make_ledger_orders, newest_first

ledger_mysql_url, ledger_database, ledger_engine = (
    fixtures.ledger_mysql_url,
    fixtures.ledger_database,
    fixtures.ledger_engine,
)
ACCOUNT, OTHER = "1187837411", "999"
ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:acct"
COUNT = 600


def reads_of(engine: Engine) -> OrderQueries:
    return OrderQueries(partial(reading, engine))


@pytest.fixture
def stored(ledger_engine: Engine) -> tuple[OrderQueries, list[dict[str, Any]]]:
    """ACCOUNT's COUNT orders (one execution saw them) and another account's 40 with the same order ids."""
    writer = LedgerWriter(ledger_engine)
    rows = make_ledger_orders(COUNT, ACCOUNT)
    writer.orders(rows)
    writer.orders(make_ledger_orders(40, OTHER, first_id=COUNT + 1))
    writer.execution_with_orders(ARN, ACCOUNT, rows)
    return reads_of(ledger_engine), rows


def page_json(reads: OrderQueries, filters: AccountFilters, **kwargs: Any) -> dict[str, Any]:
    options = {"limit": 100, "cursor": None, "include_raw": False} | kwargs
    return json.loads(reads.account_orders_json(filters, **options))


def walk(
    reads: OrderQueries, filters: AccountFilters, limit: int, include_raw: bool = False
) -> list[dict[str, Any]]:
    orders, cursor = [], None
    while True:
        body = page_json(reads, filters, limit=limit, cursor=cursor, include_raw=include_raw)
        orders += body["orders"]
        cursor = body["pagination"]["next_cursor"]
        assert (cursor is not None) == body["pagination"]["has_more"]
        if cursor is None:
            return orders


def matches(row: dict[str, Any], filters: AccountFilters) -> bool:
    if filters.start_ms is not None and row["c_time"] < filters.start_ms:
        return False
    if filters.end_ms is not None and row["c_time"] >= filters.end_ms:
        return False
    return all(getattr(filters, k) in (None, row[k]) for k in ("symbol", "stream", "side", "status"))


FILTERS = [
    {},
    {"symbol": "ETHUSDT"},
    {"stream": "USDT-FUTURES"},
    {"symbol": "BTCUSDT", "stream": "spot_tpsl"},
    {"start_ms": BASE_MS - 3_000_000, "end_ms": BASE_MS - 1_000_000},
    {"side": "buy", "status": "filled"},
    {"symbol": "XRPUSDT", "end_ms": BASE_MS - 2_000_000, "status": "cancelled"},
]


@pytest.mark.parametrize("values", FILTERS)
def test_keyset_walk_equals_truth(stored: tuple[OrderQueries, list[Any]], values: dict[str, Any]) -> None:
    reads, rows = stored
    filters = AccountFilters(ACCOUNT, **values)
    expected = [r["id"] for r in newest_first(rows) if matches(r, filters)]
    assert 0 < len(expected) < COUNT or not values
    assert [o["id"] for o in walk(reads, filters, 37)] == expected


def test_page_rows_and_raw(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, rows = stored
    body = page_json(reads, AccountFilters(ACCOUNT, symbol="ETHUSDT"), limit=3, include_raw=True)
    first, source = body["orders"][0], newest_first([r for r in rows if r["symbol"] == "ETHUSDT"])[0]
    assert first["raw"] == json.loads(source["raw"]) and first["order_id"] == source["order_id"]
    assert body["filters"]["symbol"] == "ETHUSDT" and body["account_id"] == ACCOUNT
    lean = page_json(reads, AccountFilters(ACCOUNT, symbol="ETHUSDT"), limit=3)
    assert "raw" not in lean["orders"][0]
    assert lean["orders"] == [{k: v for k, v in o.items() if k != "raw"} for o in body["orders"]]


def test_cursor_is_bound_to_its_filters(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, _ = stored
    cursor = page_json(reads, AccountFilters(ACCOUNT, symbol="ETHUSDT"), limit=5)["pagination"]["next_cursor"]
    with pytest.raises(InvalidCursorError, match="issued for other filters"):
        page_json(reads, AccountFilters(ACCOUNT, symbol="BTCUSDT"), cursor=cursor)
    with pytest.raises(InvalidCursorError, match="issued for other filters"):
        page_json(reads, AccountFilters(OTHER, symbol="ETHUSDT"), cursor=cursor)
    # the page size and include_raw may change between pages
    assert page_json(
        reads, AccountFilters(ACCOUNT, symbol="ETHUSDT"), cursor=cursor, limit=2, include_raw=True
    )


@pytest.mark.parametrize("cursor", ["x", "WzEsMiwzXQ", "WzEsMiwzLDRd", "eyJhIjoxfQ"])
def test_malformed_account_cursor(stored: tuple[OrderQueries, list[Any]], cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="malformed"):
        page_json(stored[0], AccountFilters(ACCOUNT), cursor=cursor)


def test_window_must_be_ordered() -> None:
    with pytest.raises(InvalidFiltersError, match=r"start_ms \(5\) must be before end_ms"):
        AccountFilters(ACCOUNT, start_ms=5, end_ms=5)


def test_unknown_account(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, _ = stored
    with pytest.raises(AccountNotFoundError, match="account not found: 4242"):
        page_json(reads, AccountFilters("4242"))
    with pytest.raises(AccountNotFoundError, match="4242"):
        reads.account_summary("4242")
    with pytest.raises(AccountNotFoundError):
        reads.export_account(AccountFilters("4242"), "csv")
    empty = page_json(reads, AccountFilters(ACCOUNT, symbol="DOGEUSDT"))  # known account, nothing matches
    assert empty["orders"] == [] and empty["pagination"]["has_more"] is False


# ---- summaries -------------------------------------------------------------------------------------------


def test_list_accounts(stored: tuple[OrderQueries, list[Any]], ledger_engine: Engine) -> None:
    reads, rows = stored
    LedgerWriter(ledger_engine).execution(
        "arn:aws:states:us-east-2:1:execution:m:empty", "555", orders_saved=0
    )
    listed = {a.account_id: a for a in reads.list_accounts().accounts}
    assert set(listed) == {ACCOUNT, OTHER, "555"}
    mine = listed[ACCOUNT]
    assert mine.orders_stored == COUNT
    assert mine.streams == {s: sum(r["stream"] == s for r in rows) for s in fixtures.STREAMS}
    assert (mine.first_order_ms, mine.last_order_ms) == (
        min(r["c_time"] for r in rows),
        max(r["c_time"] for r in rows),
    )
    assert mine.last_extraction is not None and mine.last_extraction.execution_arn == ARN
    assert listed[OTHER].last_extraction is None and listed[OTHER].orders_stored == 40
    assert listed["555"].orders_stored == 0 and listed["555"].streams == {}


def test_stream_counts_are_kept_until_an_execution_changes(
    stored: tuple[OrderQueries, list[Any]], ledger_engine: Engine
) -> None:
    reads, _ = stored
    assert reads.account_summary(ACCOUNT).orders_stored == COUNT
    computed = reads.account_stats.computed
    assert reads.account_summary(ACCOUNT).orders_stored == COUNT
    assert reads.account_stats.computed == computed  # served from the cache
    # GIVEN a second execution saves 5 more orders of the account: THEN the counts are taken again
    writer = LedgerWriter(ledger_engine)
    more = make_ledger_orders(5, ACCOUNT, seed=9, first_id=5000)
    for row in more:
        row["order_id"] = f"9{row['order_id']}"
    writer.orders(more)
    writer.execution_with_orders(ARN + "-2", ACCOUNT, more)
    assert reads.account_summary(ACCOUNT).orders_stored == COUNT + 5
    assert reads.list_accounts().accounts[0].orders_stored == COUNT + 5
    assert reads.account_stats.computed == computed + 2


def test_summary_coverage_and_gaps(stored: tuple[OrderQueries, list[Any]], ledger_engine: Engine) -> None:
    reads, rows = stored
    writer, now = LedgerWriter(ledger_engine), BASE_MS + DAY_MS
    old = now - RETENTION_MS - 10 * DAY_MS
    # spot_normal, whole stream: [old, old+5d) and [now-30d, now-20d) overlapping [now-25d, now-2d)
    windows = (
        (old, old + 5 * DAY_MS),
        (now - 30 * DAY_MS, now - 20 * DAY_MS),
        (now - 25 * DAY_MS, now - 2 * DAY_MS),
    )
    for n, (start, end) in enumerate(windows):  # one coverage row per (execution, stream, symbol)
        writer.coverage(ACCOUNT, "spot_normal", start, end, f"{ARN}-{n}")
    # spot_tpsl: one symbol only
    writer.coverage(ACCOUNT, "spot_tpsl", now - 10 * DAY_MS, now - DAY_MS, ARN, symbol="BTCUSDT")
    summary = reads.account_summary(ACCOUNT, now_ms=now)
    assert summary.orders_stored == COUNT and summary.retention_edge_ms == now - RETENTION_MS
    streams = {s.stream: s for s in summary.streams}
    normal = streams["spot_normal"]
    assert normal.orders_stored == sum(r["stream"] == "spot_normal" for r in rows)
    assert normal.coverage_scope == "account"
    assert [(r.start_ms, r.end_ms) for r in normal.covered] == [
        (old, old + 5 * DAY_MS),
        (now - 30 * DAY_MS, now - 2 * DAY_MS),
    ]
    edge = now - RETENTION_MS
    assert [(g.start_ms, g.end_ms, g.recoverable, g.until_now) for g in normal.gaps] == [
        (old + 5 * DAY_MS, edge, False, False),  # split at the retention edge
        (edge, now - 30 * DAY_MS, True, False),
        (now - 2 * DAY_MS, now, True, True),  # since the last extraction
    ]
    assert "only an export from Bitget's website" in normal.gaps[0].note
    assert normal.last_extraction is not None
    assert (normal.last_extraction.execution_arn, normal.last_extraction.end_ms) == (
        f"{ARN}-2",
        now - 2 * DAY_MS,
    )
    tpsl = streams["spot_tpsl"]
    assert tpsl.coverage_scope == "symbols" and tpsl.covered == [] and tpsl.gaps == []
    assert [(s.symbol, [(g.start_ms, g.end_ms) for g in s.gaps]) for s in tpsl.symbols] == [
        ("BTCUSDT", [(now - DAY_MS, now)])
    ]
    assert streams["USDT-FUTURES"].coverage_scope == "none" and summary.sync is None


def test_now_is_never_before_the_furthest_coverage(
    stored: tuple[OrderQueries, list[Any]], ledger_engine: Engine
) -> None:
    """An extraction's window ends at the exchange's clock; a server clock behind it (skew, or a sandbox whose
    clock was moved on) takes that end as now: no covered time in the future, the retention edge from it."""
    reads, _ = stored
    writer, clock = LedgerWriter(ledger_engine), BASE_MS
    writer.coverage(ACCOUNT, "spot_normal", clock - 5 * DAY_MS, clock + 3 * DAY_MS, ARN)  # ends 3 days ahead
    writer.coverage(ACCOUNT, "spot_normal", clock + 95 * DAY_MS, clock + 100 * DAY_MS, ARN + "-late")
    summary = reads.account_summary(ACCOUNT, now_ms=clock)
    assert summary.now_ms == clock + 100 * DAY_MS
    normal = next(s for s in summary.streams if s.stream == "spot_normal")
    assert [(g.start_ms, g.end_ms, g.recoverable) for g in normal.gaps] == [
        (clock + 3 * DAY_MS, clock + 10 * DAY_MS, False),
        (clock + 10 * DAY_MS, clock + 95 * DAY_MS, True),
    ]


def test_coverage_merge_and_gaps_are_exact() -> None:
    assert coverage.merge([(5, 9), (1, 3), (3, 4), (8, 12), (20, 20)]) == [(1, 4), (5, 12)]
    assert coverage.uncovered([], 100) == []
    assert coverage.uncovered([(10, 20), (30, 40)], 40) == [(20, 30)]
    gaps = coverage.gaps([(0, 10), (50, 60)], now_ms=100, retention_edge_ms=30)
    assert [(g.start_ms, g.end_ms, g.recoverable) for g in gaps] == [
        (10, 30, False),
        (30, 50, True),
        (60, 100, True),
    ]


# ---- exports ---------------------------------------------------------------------------------------------


def _export_rows(reads: OrderQueries, fmt: ExportFormat, filters: AccountFilters) -> list[dict[str, Any]]:
    export = reads.export_account(filters, fmt)
    data = b"".join(export.body)
    assert export.filename.startswith(f"orders-{filters.account_id}-") and export.filename.endswith(f".{fmt}")
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(data.decode())))
    if fmt == "ndjson":
        return [json.loads(line) for line in data.decode().splitlines()]
    return pq.read_table(io.BytesIO(data)).to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_exports_hold_the_pages_rows(
    stored: tuple[OrderQueries, list[Any]], fmt: ExportFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads, _ = stored
    monkeypatch.setattr("app.services.ledger_reads.account_pages.CHUNK_ROWS", 70)  # several keyset chunks
    monkeypatch.setattr("app.services.ledger_reads.exports.PARQUET_ROW_GROUP_ROWS", 150)
    filters = AccountFilters(ACCOUNT, stream="spot_normal", end_ms=BASE_MS - 600_000)
    pages = walk(reads, filters, 100, include_raw=True)
    exported = _export_rows(reads, fmt, filters)
    assert len(exported) == len(pages) > 100
    for row, page in zip(exported, pages, strict=True):
        assert list(row) == list(EXPORT_FIELDS)
        assert json.loads(row["raw"]) == page["raw"]
        assert row["account_id"] == ACCOUNT
        for name in (
            "id",
            "order_id",
            "symbol",
            "stream",
            "side",
            "status",
            "price",
            "size",
            "c_time",
            "u_time",
        ):
            value = row[name]
            expected = page[name]
            if fmt == "csv":  # CSV is text, and null an empty field
                expected = "" if expected is None else str(expected)
            assert value == expected, name
        created = row["created_at"]
        assert (created if isinstance(created, str) else created.isoformat().replace("+00:00", "Z")) == page[
            "created_at"
        ]


def test_execution_export_and_unknown_execution(stored: tuple[OrderQueries, list[Any]]) -> None:
    reads, rows = stored
    data = b"".join(reads.export_execution(ARN, "ndjson", symbol="BTCUSDT").body)
    ids = [json.loads(line)["id"] for line in data.splitlines()]
    assert ids == [r["id"] for r in newest_first(rows) if r["symbol"] == "BTCUSDT"]
    from app.orchestration.base import ExecutionNotFoundError

    with pytest.raises(ExecutionNotFoundError, match="execution not found"):
        reads.export_execution(ARN + "x", "csv")
