"""The SQL of every ledger read, as driver-level text: pages of an execution (through its links), pages of an
account (the ledger itself), their counts. The benchmark runs the very same text through the bare driver.
Orders and fills are read by the same text on their own tables: a `PageSource` names what differs
(`ORDERS` here, `FILLS` in fill_sql.py).

Why text and named indexes: MariaDB's cost model prefers `ref` on the leading column and then a filesort of the
whole execution or account over the newest-first range scan a keyset page needs (3.8 s vs 3 ms at 900,000 rows
deep), so each query names its index (FORCE INDEX; SQLite: INDEXED BY, which also pins its plan). An
execution's page first picks its 100 links from the covering link index (a deferred join: OFFSET pages skip
index entries, not ledger rows), then reads those ledger rows by primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.models import ledger_tables
from app.models.ledger_tables import LedgerTable
from app.services.ledger_reads.rows import DOC, EXPORT_FIELDS, PAGE_FIELDS

NEWEST_FIRST = "{a}.c_time DESC, {a}.{t} DESC, {a}.{id} DESC"  # t: the source's tie-breaker


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity: one instance per kind
class PageSource:
    """A kind of ledger record as its reads see it: its table (and the executions' links to it), what a page
    and an export show, and its newest-first indexes."""

    records: str  # "orders" | "fills": how pages, exports and messages name them
    table: LedgerTable
    document: tuple[str, ...]  # a page object's fields
    export_fields: tuple[str, ...]
    # The account's newest-first ledger indexes: (equality filter, its index), the most selective first;
    # then the whole account's.
    filter_indexes: tuple[tuple[str, str], ...]
    account_index: str

    def ledger_index(self, filters: tuple[str, ...]) -> str:
        """The newest-first ledger index that serves an account page with these filters set."""
        return next((index for name, index in self.filter_indexes if name in filters), self.account_index)

    def link_index(self, symbol: bool, stream: bool) -> str:
        """The newest-first link index that serves an execution page with these filters."""
        if symbol:
            return f"ix_{self.table.links}_symbol_newest"
        if stream:
            return f"ix_{self.table.links}_stream_newest"
        return f"ix_{self.table.links}_newest"


ORDERS = PageSource(
    "orders",
    ledger_tables.ORDERS,
    PAGE_FIELDS,
    EXPORT_FIELDS,
    (("symbol", "ix_ledger_account_symbol_newest"), ("stream", "ix_ledger_account_stream_newest")),
    "ix_ledger_account_newest",
)


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends: the driver's placeholder and how an index is named."""

    name: str  # "sqlite" | "mysql"

    @property
    def mark(self) -> str:
        return "?" if self.name == "sqlite" else "%s"

    def table(self, table: str, alias: str, index: str) -> str:
        if self.name == "sqlite":
            return f"{table} AS {alias} INDEXED BY {index}"
        return f"{table} AS {alias} FORCE INDEX ({index})"


# created_at as the API writes it (db_values.iso): ISO 8601, a Z, no fraction when it is zero. MySQL drivers
# interpolate parameters with %, so the format's % are doubled.
_ISO_CREATED = {
    "mysql": "CASE WHEN MICROSECOND({a}.created_at) = 0 "
    "THEN DATE_FORMAT({a}.created_at, '%%Y-%%m-%%dT%%H:%%i:%%sZ') "
    "ELSE DATE_FORMAT({a}.created_at, '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ') END",
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'
    "sqlite": "CASE WHEN substr({a}.created_at, 20) = '.000000' "
    "THEN substr({a}.created_at, 1, 10) || 'T' || substr({a}.created_at, 12, 8) || 'Z' "
    "ELSE substr({a}.created_at, 1, 10) || 'T' || substr({a}.created_at, 12) || 'Z' END",
}
_JSON_OBJECT = {"mysql": "JSON_OBJECT", "sqlite": "json_object"}


def page_document(dialect: Dialect, alias: str, document: tuple[str, ...] = PAGE_FIELDS) -> str:
    """The SQL of one page row's JSON document: `document`'s fields (an order's: PAGE_FIELDS) in order, built
    by the database."""
    pairs = (
        f"'{name}', " + (_ISO_CREATED[dialect.name] if name == "created_at" else "{a}." + name)
        for name in document
    )
    return f"{_JSON_OBJECT[dialect.name]}({', '.join(pairs)})".format(a=alias)


def select_list(dialect: Dialect, fields: tuple[str, ...], alias: str, source: PageSource = ORDERS) -> str:
    """`alias.a, ..., alias.order_id_num` (the keyset tie-breaker always last); DOC is the page document."""
    columns = (
        page_document(dialect, alias, source.document) if name == DOC else f"{alias}.{name}"
        for name in fields
    )
    return ", ".join((*columns, f"{alias}.{source.table.tie_breaker}"))


def dialect_of(name: str) -> Dialect:
    """The Dialect of a SQLAlchemy dialect name (mysql and mariadb read alike)."""
    return Dialect("sqlite" if name == "sqlite" else "mysql")


def after_condition(alias: str, id_column: str, mark: str, tie_breaker: str = "order_id_num") -> str:
    """Rows strictly after the cursor in (c_time, order_id_num, id) DESC order. Spelled with ORs plus a
    redundant `c_time <= x` so MySQL turns it into a range scan of the index at any depth."""
    a, m, t = alias, mark, tie_breaker
    return (
        f"{a}.c_time <= {m} AND ({a}.c_time < {m} OR ({a}.c_time = {m} AND "
        f"({a}.{t} < {m} OR ({a}.{t} = {m} AND {a}.{id_column} < {m}))))"
    )


def after_params(key: tuple[int, int, int]) -> tuple[int, ...]:
    c_time, order_id_num, row_id = key
    return (c_time, c_time, c_time, order_id_num, order_id_num, row_id)


def _link_filters(dialect: Dialect, symbol: bool, stream: bool) -> list[str]:
    m = dialect.mark
    where = [f"e.execution_id = {m}"]
    if symbol:
        where.append(f"e.symbol = {m}")
    if stream:
        where.append(f"e.stream = {m}")
    return where


@lru_cache(maxsize=256)
def execution_page_sql(
    dialect: Dialect,
    fields: tuple[str, ...],
    *,
    symbol: bool,
    stream: bool,
    after: bool,
    offset: bool,
    source: PageSource = ORDERS,
) -> str:
    """One page of an execution's orders (or fills). Parameters, in order: execution_id, [symbol], [stream],
    [after_params(cursor)], limit, [offset]."""
    m, pk, t = dialect.mark, source.table.link_pk, source.table.tie_breaker
    where = _link_filters(dialect, symbol, stream)
    if after:
        where.append(after_condition("e", pk, m, t))
    links = (
        f"SELECT e.{pk}, e.c_time, e.{t} "  # noqa: S608 (fixed identifiers; values are bound)
        f"FROM {dialect.table(source.table.links, 'e', source.link_index(symbol, stream))} "
        f"WHERE {' AND '.join(where)} ORDER BY {NEWEST_FIRST.format(a='e', t=t, id=pk)} "
        f"LIMIT {m}{f' OFFSET {m}' if offset else ''}"
    )
    straight = "" if dialect.name == "sqlite" else "STRAIGHT_JOIN "  # the page's links drive the join
    return (
        f"SELECT {straight}{select_list(dialect, fields, 'l', source)} FROM ({links}) AS p "  # noqa: S608 (fixed identifiers)
        f"JOIN {source.table.name} AS l ON l.id = p.{pk} "
        f"ORDER BY {NEWEST_FIRST.format(a='p', t=t, id=pk)}"
    )


@lru_cache(maxsize=64)
def execution_count_sql(dialect: Dialect, *, symbol: bool, stream: bool, source: PageSource = ORDERS) -> str:
    """Links of an execution matching the filters. Parameters: execution_id, [symbol], [stream]."""
    where = " AND ".join(_link_filters(dialect, symbol, stream))
    table = dialect.table(source.table.links, "e", source.link_index(symbol, stream))
    return f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 (fixed identifiers; values are bound)


# What an account page's filter tests (the others: equality with the column of their name).
_CONDITIONS = {"start_ms": "l.c_time >= {m}", "end_ms": "l.c_time < {m}"}


@dataclass(frozen=True)
class AccountShape:
    """Which of an account page's optional filters are set, in the order their parameters come (the SQL text
    depends on nothing else)."""

    filters: tuple[str, ...] = ()  # column names, or start_ms / end_ms (the c_time window)
    after: bool = False


@lru_cache(maxsize=512)
def account_page_sql(
    dialect: Dialect, fields: tuple[str, ...], shape: AccountShape, source: PageSource = ORDERS
) -> str:
    """One page of an account's orders (or fills), newest first. Parameters, in order: account_id, the values
    of `shape.filters`, [after_params(cursor)], limit."""
    m = dialect.mark
    where = [f"l.account_id = {m}"]
    where += [_CONDITIONS.get(name, f"l.{name} = {{m}}").format(m=m) for name in shape.filters]
    if shape.after:
        where.append(after_condition("l", "id", m, source.table.tie_breaker))
    table = dialect.table(source.table.name, "l", source.ledger_index(shape.filters))
    return (
        f"SELECT {select_list(dialect, fields, 'l', source)} FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 (see above)
        f"ORDER BY {NEWEST_FIRST.format(a='l', t=source.table.tie_breaker, id='id')} LIMIT {m}"
    )
