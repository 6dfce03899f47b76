"""The SQL of the fills' reads, as page_sql.py does for orders (same reasons: driver-level text, named indexes,
keyset conditions that are range scans at any depth): an account's fills from the `ledger_fills` indexes, an
execution's through its `execution_fills` links (deferred join), and the count of an execution's links.

Newest first is (c_time, trade_id_num, id) descending; every select ends with `trade_id_num`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.services.ledger_reads.page_sql import Dialect, after_condition, select_list
from app.services.ledger_reads.rows import FILL_PAGE_FIELDS

NEWEST_FIRST = "{a}.c_time DESC, {a}.trade_id_num DESC, {a}.{id} DESC"
TIE_BREAKER = "trade_id_num"


def _select(dialect: Dialect, fields: tuple[str, ...], alias: str) -> str:
    return select_list(dialect, fields, alias, FILL_PAGE_FIELDS, TIE_BREAKER)


@dataclass(frozen=True)
class FillShape:
    """Which of an account fill page's optional filters are set (the SQL text depends on nothing else)."""

    symbol: bool = False
    stream: bool = False
    order_id: bool = False
    start: bool = False
    end: bool = False
    side: bool = False
    after: bool = False

    @property
    def index(self) -> str:
        """The newest-first index that serves the page: the most selective equality filter's."""
        if self.order_id:
            return "ix_ledger_fills_account_order_newest"
        if self.symbol:
            return "ix_ledger_fills_account_symbol_newest"
        if self.stream:
            return "ix_ledger_fills_account_stream_newest"
        return "ix_ledger_fills_account_newest"


@lru_cache(maxsize=512)
def account_fills_sql(dialect: Dialect, fields: tuple[str, ...], shape: FillShape) -> str:
    """One page of an account's fills, newest first. Parameters, in order: account_id, [symbol], [stream],
    [order_id], [start_ms], [end_ms], [side], [after_params(cursor)], limit."""
    m = dialect.mark
    where = [f"l.account_id = {m}"]
    where += [f"l.{name} = {m}" for name in ("symbol", "stream", "order_id") if getattr(shape, name)]
    if shape.start:
        where.append(f"l.c_time >= {m}")
    if shape.end:
        where.append(f"l.c_time < {m}")
    if shape.side:
        where.append(f"l.side = {m}")
    if shape.after:
        where.append(after_condition("l", "id", m, TIE_BREAKER))
    table = dialect.table("ledger_fills", "l", shape.index)
    return (
        f"SELECT {_select(dialect, fields, 'l')} FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 (fixed identifiers; values are bound)
        f"ORDER BY {NEWEST_FIRST.format(a='l', id='id')} LIMIT {m}"
    )


def link_index(symbol: bool, stream: bool) -> str:
    if symbol:
        return "ix_execution_fills_symbol_newest"
    if stream:
        return "ix_execution_fills_stream_newest"
    return "ix_execution_fills_newest"


def _link_filters(dialect: Dialect, symbol: bool, stream: bool) -> list[str]:
    m = dialect.mark
    return [
        f"e.execution_id = {m}",
        *([f"e.symbol = {m}"] if symbol else []),
        *([f"e.stream = {m}"] if stream else []),
    ]


@lru_cache(maxsize=128)
def execution_fills_sql(
    dialect: Dialect, fields: tuple[str, ...], *, symbol: bool, stream: bool, after: bool
) -> str:
    """One page of an execution's fills: its links (covering index), then the ledger rows by primary key.
    Parameters, in order: execution_id, [symbol], [stream], [after_params(cursor)], limit."""
    m = dialect.mark
    where = _link_filters(dialect, symbol, stream)
    if after:
        where.append(after_condition("e", "fill_pk", m, TIE_BREAKER))
    links = (
        f"SELECT e.fill_pk, e.c_time, e.trade_id_num "  # noqa: S608 (fixed identifiers; values are bound)
        f"FROM {dialect.table('execution_fills', 'e', link_index(symbol, stream))} "
        f"WHERE {' AND '.join(where)} ORDER BY {NEWEST_FIRST.format(a='e', id='fill_pk')} LIMIT {m}"
    )
    straight = "" if dialect.name == "sqlite" else "STRAIGHT_JOIN "  # the page's links drive the join
    return (
        f"SELECT {straight}{_select(dialect, fields, 'l')} FROM ({links}) AS p "  # noqa: S608 (fixed identifiers)
        f"JOIN ledger_fills AS l ON l.id = p.fill_pk "
        f"ORDER BY {NEWEST_FIRST.format(a='p', id='fill_pk')}"
    )


@lru_cache(maxsize=16)
def execution_fills_count_sql(dialect: Dialect, *, symbol: bool, stream: bool) -> str:
    """Fill links of an execution matching the filters. Parameters: execution_id, [symbol], [stream]."""
    where = " AND ".join(_link_filters(dialect, symbol, stream))
    table = dialect.table("execution_fills", "e", link_index(symbol, stream))
    return f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 (fixed identifiers; values are bound)
