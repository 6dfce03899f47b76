"""Ledger rows written directly (no hydration), for the read side's tests: a fresh database built from the
models, executions, ledger orders, links and coverage rows, and a generator of varied orders.

`ledger_database` gives a SQLite file and, marked `mysql`, a MariaDB database of this module's own
(`bitget_reads_test_<pid>`, created once per session and emptied after each test; unreachable: skip, or FAIL
when CI=true).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text

from app.core.db import make_engine
from app.models.database import AccountCoverage, Base, ExecutionOrder, ExecutionResult, LedgerOrder
from tests.mariadb import scratch_database

TABLES = ("execution_orders", "account_coverage", "ledger_orders", "execution_results")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "XRPUSDT")
STREAMS = ("spot_normal", "spot_tpsl", "USDT-FUTURES", "USDT-FUTURES_plan")
STATUSES = ("filled", "filled", "cancelled", "live")
BASE_ID = 1_115_965_643_967_582_214
BASE_MS = 1_790_000_000_000
CREATED = datetime(2026, 11, 1, 12, 0, 0, 123456)


@pytest.fixture(scope="session")
def ledger_mysql_url() -> Iterator[str]:
    with scratch_database("bitget_reads_test") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def ledger_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database with the models' tables (SQLite file or MariaDB)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("ledger_mysql_url")
    yield url
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant table names
    engine.dispose()


@pytest.fixture
def ledger_engine(ledger_database: str) -> Iterator[Engine]:
    engine = make_engine(ledger_database)
    yield engine
    engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    """Rows per ledger table (bad input must leave them unchanged)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT COUNT(*) FROM {}"  # constant table names only
            return {t: connection.execute(text(query.format(t))).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


def make_ledger_orders(count: int, account_id: str, seed: int = 7, first_id: int = 1) -> list[dict[str, Any]]:
    """`count` ledger rows of one account: several symbols and streams, cTime ties, one orderId in two streams."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        stream, symbol = STREAMS[i % len(STREAMS)], SYMBOLS[(i // 2) % len(SYMBOLS)]
        order_num = BASE_ID + (i // 2) * 7  # pairs share an orderId across two streams
        c_time = BASE_MS - (i // 3) * 60_000
        raw = {"orderId": str(order_num), "symbol": symbol, "cTime": str(c_time), "note": f'é{i}"q,x\n'}
        rows.append(
            {
                "id": first_id + i, "account_id": account_id, "symbol": symbol, "order_id": str(order_num),
                "order_id_num": order_num, "stream": stream, "market": "spot" if stream.startswith("spot") else "futures",
                "product_type": None if stream.startswith("spot") else "USDT-FUTURES", "client_oid": f"c-{i}",
                "size": f"{rng.randint(1, 999)}.5", "price": "" if i % 5 == 0 else "64250.12", "price_avg": "64250.1",
                "status": STATUSES[i % len(STATUSES)], "side": "buy" if rng.random() < 0.5 else "sell",
                "order_type": "limit", "trade_side": None, "leverage": None, "margin_mode": None, "pos_side": None,
                "fee": None, "quote_volume": "10.5", "base_volume": "0.1", "c_time": c_time, "u_time": c_time + 350,
                "raw": json.dumps(raw), "created_at": CREATED + timedelta(seconds=i),
                "updated_at": CREATED + timedelta(seconds=i, microseconds=1),
            }
        )  # fmt: skip
    return rows


@dataclass
class LedgerWriter:
    """Writes the rows a hydration would: executions, ledger orders, links, coverage."""

    engine: Engine

    def execution(
        self,
        arn: str,
        account_id: str | None,
        *,
        status: str = "SUCCEEDED",
        hydration_state: str = "saved",
        orders_saved: int = 0,
        **values: Any,
    ) -> int:
        row = {
            "execution_arn": arn,
            "execution_name": arn.rsplit(":", 1)[-1],
            "status": status,
            "hydration_state": hydration_state,
            "orders_saved": orders_saved,
            "account_id": account_id,
            "symbols": json.dumps(list(SYMBOLS)),
            "total_symbols": len(SYMBOLS),
            "created_at": CREATED,
            "updated_at": CREATED,
        }
        with self.engine.begin() as connection:
            connection.execute(insert(ExecutionResult).values(**(row | values)))
            return connection.execute(
                select(ExecutionResult.id).where(ExecutionResult.execution_arn == arn)
            ).scalar_one()

    def orders(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(LedgerOrder), list(rows))

    def link(self, execution_id: int, rows: Sequence[dict[str, Any]]) -> None:
        links = [
            {
                "execution_id": execution_id,
                "order_pk": r["id"],
                "symbol": r["symbol"],
                "stream": r["stream"],
                "c_time": r["c_time"],
                "order_id_num": r["order_id_num"],
            }
            for r in rows
        ]
        with self.engine.begin() as connection:
            connection.execute(insert(ExecutionOrder), links)

    def coverage(
        self, account_id: str, stream: str, start_ms: int, end_ms: int, arn: str, symbol: str = ""
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(AccountCoverage).values(
                    account_id=account_id,
                    stream=stream,
                    symbol=symbol,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    execution_arn=arn,
                )
            )

    def execution_with_orders(self, arn: str, account_id: str, rows: Sequence[dict[str, Any]]) -> int:
        """A saved execution that saw `rows` (already in the ledger, or written now)."""
        execution_id = self.execution(arn, account_id, orders_saved=len(rows))
        self.link(execution_id, rows)
        return execution_id


def newest_first(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The truth's order: (c_time, order_id_num, id) descending, sorted in Python."""
    return sorted(rows, key=lambda r: (r["c_time"], r["order_id_num"], r["id"]), reverse=True)
