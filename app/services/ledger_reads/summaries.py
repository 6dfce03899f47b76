"""GET /accounts and GET /accounts/{id}: what the ledger keeps of each account (orders and fills), and, per
stream, the ranges complete extractions covered and the gaps between them (coverage.py).

Counts and first/last order times come from the ledger's (account, stream, c_time, ...) index (one grouped
range scan per account); coverage from `account_coverage`; the last extraction from `execution_results`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, exists, func, select

from app.models.database import AccountCoverage, ExecutionResult, LedgerFill, LedgerOrder
from app.schemas.accounts import (
    AccountList,
    AccountListItem,
    AccountSummary,
    ExtractionRef,
    Gap,
    StreamExtraction,
    StreamSummary,
    SymbolCoverage,
    TimeRange,
)
from app.services.ledger_reads import coverage
from app.services.ledger_reads.rows import iso_time
from lambda_functions.common.streams import is_fill_stream
from lambda_functions.common.timewindow import RETENTION_MS


class AccountNotFoundError(LookupError):
    """No order, execution or coverage of this account is stored."""

    def __init__(self, account_id: str) -> None:
        super().__init__(
            f"account not found: {account_id} (no stored order or extraction; GET /accounts lists the accounts)"
        )


@dataclass
class StreamStats:
    orders: int = 0
    first_ms: int | None = None
    last_ms: int | None = None


Stats = dict[str, dict[str, StreamStats]]  # {account: {stream: stats}}


def ledger_stamp(connection: Connection) -> tuple[Any, ...]:
    """Changes whenever the ledger may have: every hydration step and every removal changes the executions."""
    row = connection.execute(
        select(func.count(), func.max(ExecutionResult.id), func.max(ExecutionResult.updated_at))
    ).one()
    return tuple(row)


def stream_stats(connection: Connection, account_id: str | None = None, fills: bool = False) -> Stats:
    """{account: {stream: stats}} from one grouped scan of the ledger's stream index (one account, or all);
    `fills`: of the fills ledger (`orders` then counts fills)."""
    table: type[LedgerOrder] | type[LedgerFill] = LedgerFill if fills else LedgerOrder
    query = select(
        table.account_id,
        table.stream,
        func.count(),
        func.min(table.c_time),
        func.max(table.c_time),
    ).group_by(table.account_id, table.stream)
    if account_id is not None:
        query = query.where(table.account_id == account_id)
    stats: Stats = defaultdict(dict)
    for account, stream, count, first, last in connection.execute(query):
        stats[account][stream] = StreamStats(int(count), first, last)
    return dict(stats)


def _last_extractions(connection: Connection, account_id: str | None = None) -> dict[str, ExtractionRef]:
    """The newest recorded execution of each account (or of one)."""
    newest = select(func.max(ExecutionResult.id)).where(ExecutionResult.account_id.is_not(None))
    if account_id is not None:
        newest = newest.where(ExecutionResult.account_id == account_id)
    newest = newest.group_by(ExecutionResult.account_id)
    rows = connection.execute(
        select(
            ExecutionResult.account_id,
            ExecutionResult.execution_arn,
            ExecutionResult.status,
            ExecutionResult.created_at,
            ExecutionResult.complete,
            ExecutionResult.hydration_state,
            ExecutionResult.orders_saved,
        ).where(ExecutionResult.id.in_(newest))
    )
    return {
        row.account_id: ExtractionRef(
            execution_arn=row.execution_arn,
            status=row.status,
            created_at=iso_time(row.created_at),  # ISO text, validated to a datetime
            complete=row.complete,
            hydration_state=row.hydration_state,
            orders_saved=row.orders_saved or 0,
        )
        for row in rows
    }


def _totals(streams: dict[str, StreamStats], kind: str = "order") -> dict[str, Any]:
    firsts = [s.first_ms for s in streams.values() if s.first_ms is not None]
    lasts = [s.last_ms for s in streams.values() if s.last_ms is not None]
    return {
        f"{kind}s_stored": sum(s.orders for s in streams.values()),
        f"first_{kind}_ms": min(firsts) if firsts else None,
        f"last_{kind}_ms": max(lasts) if lasts else None,
    }


def list_accounts(connection: Connection, stats: Stats, fill_stats: Stats | None = None) -> AccountList:
    """Every account with stored orders or fills (`stats`, `fill_stats`: from stream_stats) or a recorded
    execution, by account id."""
    last = _last_extractions(connection)
    fill_stats = fill_stats or {}
    items = [
        AccountListItem(
            account_id=account,
            streams={stream: s.orders for stream, s in sorted(stats.get(account, {}).items())},
            last_extraction=last.get(account),
            fill_streams={stream: s.orders for stream, s in sorted(fill_stats.get(account, {}).items())},
            **_totals(stats.get(account, {})),
            **_totals(fill_stats.get(account, {}), "fill"),
        )
        for account in sorted(set(stats) | set(fill_stats) | set(last))
    ]
    return AccountList(total_accounts=len(items), accounts=items)


@dataclass
class _StreamCoverage:
    whole: list[coverage.Range] = field(default_factory=list)  # symbol "" rows
    by_symbol: dict[str, list[coverage.Range]] = field(default_factory=lambda: defaultdict(list))
    furthest: Any = None  # the row that reached furthest (end_ms, then newest)


def _coverage(connection: Connection, account_id: str) -> dict[str, _StreamCoverage]:
    rows = connection.execute(
        select(
            AccountCoverage.stream,
            AccountCoverage.symbol,
            AccountCoverage.start_ms,
            AccountCoverage.end_ms,
            AccountCoverage.execution_arn,
            AccountCoverage.created_at,
        )
        .where(AccountCoverage.account_id == account_id)
        .order_by(AccountCoverage.end_ms, AccountCoverage.id)
    )
    streams: dict[str, _StreamCoverage] = defaultdict(_StreamCoverage)
    for row in rows:
        entry = streams[row.stream]
        (entry.by_symbol[row.symbol] if row.symbol else entry.whole).append((row.start_ms, row.end_ms))
        entry.furthest = row  # ordered by end_ms: the last one reached furthest
    return streams


def _ranges(merged: list[coverage.Range]) -> list[TimeRange]:
    return [TimeRange(start_ms=s, end_ms=e) for s, e in merged]


def _gaps(merged: list[coverage.Range], now_ms: int) -> list[Gap]:
    return [
        Gap(
            start_ms=g.start_ms,
            end_ms=g.end_ms,
            recoverable=g.recoverable,
            until_now=g.until_now,
            note=g.note,
        )
        for g in coverage.gaps(merged, now_ms, now_ms - RETENTION_MS)
    ]


def _stream_summary(
    stream: str, stats: StreamStats, cover: _StreamCoverage, now_ms: int, fills: StreamStats | None = None
) -> StreamSummary:
    whole = coverage.merge(cover.whole)
    symbols = []
    for symbol, ranges in sorted(cover.by_symbol.items()):
        merged = coverage.merge([*ranges, *cover.whole])
        symbols.append(SymbolCoverage(symbol=symbol, covered=_ranges(merged), gaps=_gaps(merged, now_ms)))
    row = cover.furthest
    return StreamSummary(
        stream=stream,
        orders_stored=stats.orders,
        first_order_ms=stats.first_ms,
        last_order_ms=stats.last_ms,
        fills_stored=fills.orders if fills is not None else None,
        first_fill_ms=fills.first_ms if fills is not None else None,
        last_fill_ms=fills.last_ms if fills is not None else None,
        coverage_scope="account" if whole else "symbols" if symbols else "none",
        covered=_ranges(whole),
        gaps=_gaps(whole, now_ms),
        symbols=symbols,
        last_extraction=None
        if row is None
        else StreamExtraction(
            execution_arn=row.execution_arn,
            symbol=row.symbol,
            start_ms=row.start_ms,
            end_ms=row.end_ms,
            recorded_at=iso_time(row.created_at),  # ISO text, validated to a datetime
        ),
    )


def account_known(connection: Connection, account_id: str) -> bool:
    """Whether anything of the account is stored (orders, fills, an execution, coverage)."""
    found = select(
        exists().where(LedgerOrder.account_id == account_id)
        | exists().where(LedgerFill.account_id == account_id)
        | exists().where(ExecutionResult.account_id == account_id)
        | exists().where(AccountCoverage.account_id == account_id)
    )
    return bool(connection.scalar(found))


def account_summary(
    connection: Connection, account_id: str, now_ms: int, stats: Stats, fill_stats: Stats | None = None
) -> AccountSummary:
    """The account's summary at `now_ms` (`stats`, `fill_stats`: stream_stats of the account's orders and
    fills); AccountNotFoundError when nothing of it is stored. A fill stream is listed like an order stream
    (its coverage and gaps), with `fills_stored`."""
    mine = stats.get(account_id, {})
    fills = (fill_stats or {}).get(account_id, {})
    covers = _coverage(connection, account_id)
    last = _last_extractions(connection, account_id).get(account_id)
    if not mine and not fills and not covers and last is None:
        raise AccountNotFoundError(account_id)
    # An extraction's window ends at the exchange's clock: a server clock behind it must not see covered time
    # (or its retention edge) in the future.
    now_ms = max([now_ms, *(c.furthest.end_ms for c in covers.values() if c.furthest is not None)])
    streams = [
        _stream_summary(
            stream,
            mine.get(stream, StreamStats()),
            covers.get(stream, _StreamCoverage()),
            now_ms,
            fills.get(stream, StreamStats()) if is_fill_stream(stream) else None,
        )
        for stream in sorted(set(mine) | set(fills) | set(covers))
    ]
    return AccountSummary(
        account_id=account_id,
        now_ms=now_ms,
        retention_edge_ms=now_ms - RETENTION_MS,
        last_extraction=last,
        streams=streams,
        **_totals(mine),
        **_totals(fills, "fill"),
    )
