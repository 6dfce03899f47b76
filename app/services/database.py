"""DatabaseService: every read and write of the API's database (routes never commit).

One class for the API (docs/database.md), assembled from parts of one idea each:
- `execution_records.py`: executions, their processing log, the symbol metadata cache;
- `hydration.py`: loading a consolidated document's orders into the ledger exactly once (claim, chunks,
  fencing, failures);
- `order_queries.py`: paged reads of orders (offset and keyset cursors); `fill_queries.py`: of fills;
- `execution_removal.py`: removing an execution (DELETE /orders/{arn}): its links and the orders only it saw;
- `order_inserts.py` / `app/models/order_rows.py`: the hydration hot path (ledger upserts and links);
- `ledger_writes/`: the ledger's write side (the account, coverage, links, the per-account lock, a load).
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from app.services.execution_records import ExecutionRecords
from app.services.execution_removal import ExecutionBusyError, ExecutionRemoval, RemovedRows
from app.services.fill_queries import FillQueries
from app.services.hydration import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_STALE_CLAIM_S,
    HydrationClaimLostError,
    HydrationState,
    HydrationStatus,
    OpenSource,
    OrderHydration,
    redact,
)
from app.services.order_queries import (
    InvalidCursorError,
    OrderQueries,
    OrdersPage,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_STALE_CLAIM_S",
    "DatabaseService",
    "ExecutionBusyError",
    "HydrationClaimLostError",
    "HydrationState",
    "HydrationStatus",
    "InvalidCursorError",
    "OpenSource",
    "OrdersPage",
    "RemovedRows",
    "decode_cursor",
    "encode_cursor",
    "redact",
]


class DatabaseService(ExecutionRecords, OrderHydration, ExecutionRemoval, OrderQueries, FillQueries):
    """All reads and writes of the API's database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        stale_claim_s: float = DEFAULT_STALE_CLAIM_S,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self._sessions = session_factory
        self.chunk_rows = chunk_rows
        self.stale_claim_s = stale_claim_s
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()
