"""One pooled connection for a read, with the hot queries sent through its DB-API cursor.

Pages run prepared text through the driver's own cursor (tuples back, no SQLAlchemy result objects: a page of
100 rows is then what the driver costs); everything else uses the SQLAlchemy connection. The connection comes
from the engine's pool as usual (pre-ping, reset on return), so a read holds no session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

from app.services.ledger_reads.page_sql import Dialect, dialect_of


class Reader:
    """The connection of one read: `rows`/`scalar` for driver-level text, `connection` for Core queries."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect: Dialect = dialect_of(connection.dialect.name)
        self._dbapi: Any = connection.connection.dbapi_connection

    def rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def end_snapshot(self) -> None:
        """End the driver's transaction, so the next read sees what other connections committed since."""
        self._dbapi.rollback()

    def scalar(self, sql: str, params: Sequence[Any]) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


@contextmanager
def reading(engine: Engine) -> Iterator[Reader]:
    """A Reader on a pooled connection, returned to the pool (rolled back) afterwards."""
    with engine.connect() as connection:
        yield Reader(connection)


# Opens a Reader per read (the query parts of app/services/database.py are handed one).
Reading = Callable[[], AbstractContextManager[Reader]]
