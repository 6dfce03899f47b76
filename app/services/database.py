"""The API's database, in plain parts of one idea each (docs/database.md); routes never commit.

- `executions` (`execution_records.py`): executions and their processing log;
- `hydration` (`hydration/`): loading a consolidated document's orders and fills into the ledger exactly once
  (claim, chunks, fencing, failures);
- `removal` (`execution_removal.py`): removing an execution (DELETE /orders/{arn}): its links and the orders
  only it saw;
- `orders` (`order_queries.py`) and `fills` (`fill_queries.py`): paged reads, totals and exports of the
  ledger (`ledger_reads/`).

`open_database` builds them from one session factory and hands each the others it calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from app.services.db_values import bound_engine
from app.services.execution_records import ExecutionRecords
from app.services.execution_removal import ExecutionRemoval
from app.services.fill_queries import FillQueries
from app.services.hydration.claim import DEFAULT_STALE_CLAIM_S, Claims
from app.services.hydration.service import DEFAULT_CHUNK_ROWS, Hydration
from app.services.ledger_reads.reader import reading
from app.services.order_queries import OrderQueries


@dataclass(frozen=True)
class Database:
    """Every read and write of the API's database, one part per concern."""

    executions: ExecutionRecords
    hydration: Hydration
    removal: ExecutionRemoval
    orders: OrderQueries
    fills: FillQueries


def open_database(
    session_factory: sessionmaker[Session],
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    stale_claim_s: float = DEFAULT_STALE_CLAIM_S,
) -> Database:
    """The parts on one session factory: `chunk_rows` rows per hydration transaction; a hydration claim without
    a heartbeat for `stale_claim_s` may be taken over (and its execution removed)."""
    executions = ExecutionRecords(session_factory)
    claims = Claims(session_factory, executions, stale_claim_s=stale_claim_s)
    reads = partial(reading, bound_engine(session_factory))
    return Database(
        executions=executions,
        hydration=Hydration(session_factory, executions, claims, chunk_rows=chunk_rows),
        removal=ExecutionRemoval(session_factory, claims),
        orders=OrderQueries(reads),
        fills=FillQueries(reads),
    )
