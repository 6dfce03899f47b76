"""The two kinds of record the ledger keeps, orders and fills, each as one `LedgerTable`: its table and row
columns, its record id, and the executions' links to it. The writes (app/services/hydration/inserts.py), the links'
removal (ledger_writes/links.py) and the reads (ledger_reads/page_sql.py) take their names from here.

Both follow the same rules: one ledger row per (account_id, stream, record id), replaced only by a copy whose
`u_time` is newer (NULL counts as oldest, an equal one keeps the stored copy; a fill is immutable and v2 futures
fills carry no uTime, so their first copy stays), `created_at` kept from when it was first stored; an
execution sees a record through one link row, which carries the record's paging key (symbol, stream, c_time,
the record id's number).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any

from sqlalchemy import Table

from app.models.database import Base
from app.models.fill_rows import FILL_COLUMNS
from app.models.order_rows import ORDER_COLUMNS


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity: one instance per table
class LedgerTable:
    """A ledger table: its rows' columns, its record id, and its links."""

    name: str  # ledger_orders
    columns: tuple[str, ...]  # a row's values, in this order (order_rows / fill_rows build them)
    record_id: str  # unique per (account_id, stream)
    links: str  # the table of the executions' links to it
    link_pk: str  # the links' column naming the ledger row

    @property
    def tie_breaker(self) -> str:
        """The record id's number: orders newest first by (c_time, it, id), the keyset's middle key."""
        return f"{self.record_id}_num"

    @cached_property
    def key(self) -> tuple[str, str, str]:
        return ("account_id", "stream", self.record_id)

    @cached_property
    def replaced(self) -> tuple[str, ...]:
        """What a newer copy replaces: everything but the key and when it was first stored; u_time last
        (MySQL assigns left to right, so every other column's test still sees the stored u_time)."""
        kept = (*self.key, "created_at", "u_time")
        return (*(c for c in self.columns if c not in kept), "u_time")

    @cached_property
    def stream_and_id(self) -> Callable[[Sequence[Any]], tuple[Any, Any]]:
        """A row's (stream, record id): the unique key within one account."""
        return itemgetter(self.columns.index("stream"), self.columns.index(self.record_id))

    @property
    def ledger_table(self) -> Table:
        """The ledger as a SQLAlchemy table (for Core statements)."""
        return Base.metadata.tables[self.name]

    @property
    def links_table(self) -> Table:
        return Base.metadata.tables[self.links]


ORDERS = LedgerTable("ledger_orders", ORDER_COLUMNS, "order_id", "execution_orders", "order_pk")
FILLS = LedgerTable("ledger_fills", FILL_COLUMNS, "trade_id", "execution_fills", "fill_pk")
