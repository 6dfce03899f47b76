"""Pagination benchmark: a deep page by keyset cursor costs what the first page costs, at ≥ 1,000,000 orders.

The orders live in MariaDB, database `bitget_orders_bench` (kept between runs: a marker execution links the
rows of one ledger account; a second run reuses them). They are generated server-side with MariaDB's SEQUENCE
engine (`INSERT ... SELECT ... FROM seq_1_to_N`) and linked with one INSERT ... SELECT.
Latencies are medians of OrderQueries.query_orders calls (page of 100, newest first, total included):
the first page, the page ~900,000 rows deep reached by a cursor, and for contrast the same depth by OFFSET.

    python -m bench pagination [--orders 1000000] [--depth 900000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pymysql
from sqlalchemy import Engine, text

from app.core.db import make_engine, make_session_factory, run_migrations
from app.services.database import Database, open_database
from app.services.ledger_reads.cursors import encode_cursor

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
DATABASE = "bitget_orders_bench"
URL = f"mysql+pymysql://{MYSQL['user']}@{MYSQL['host']}:{MYSQL['port']}/{DATABASE}"
BASE_ID = 1_115_965_643_967_582_214
BASE_MS = 1_760_000_000_000
PAGE = 100

ACCOUNT = "bench-pagination"
_LOAD_SQL = """
INSERT INTO ledger_orders (account_id, symbol, order_id, order_id_num, stream, market, product_type, side, status,
                           order_type, price, size, c_time, u_time, raw, created_at, updated_at)
SELECT :account,
       ELT(1 + seq % 5, 'BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT'),
       CAST(:base_id - seq AS CHAR), :base_id - seq,
       ELT(1 + seq % 4, 'spot_normal', 'spot_tpsl', 'USDT-FUTURES', 'USDT-FUTURES_plan'),
       IF(seq % 4 < 2, 'spot', 'futures'), IF(seq % 4 < 2, NULL, 'USDT-FUTURES'),
       IF(seq % 2, 'buy', 'sell'), 'filled', 'limit', '64250.12', '0.0150',
       :base_ms - (seq DIV 3) * 1000, :base_ms - (seq DIV 3) * 1000 + 350,
       CONCAT('{"orderId":"', :base_id - seq, '","cTime":"', :base_ms - (seq DIV 3) * 1000, '"}'),
       NOW(6), NOW(6)
FROM seq_1_to_{count}
"""
# The execution saw every order of the account: one link each (what hydration writes).
_LINK_SQL = """
INSERT INTO execution_orders (execution_id, order_pk, symbol, stream, c_time, order_id_num)
SELECT :execution_id, id, symbol, stream, c_time, order_id_num FROM ledger_orders WHERE account_id = :account
"""


def marker_arn(count: int) -> str:
    return f"arn:aws:states:us-east-2:000000000000:execution:bench:pagination-{count}"


def ensure_loaded(engine: Engine, db: Database, count: int) -> tuple[str, bool]:
    """The marker execution holding `count` orders; loads them unless a previous run did. (arn, loaded_now)"""
    arn = marker_arn(count)
    state = db.hydration.hydration_state(arn)
    if state.state == "saved" and state.orders_saved == count:
        return arn, False
    db.executions.record_execution(
        execution_arn=arn, execution_name="bench", symbols=["BTCUSDT"], start_ms=0, end_ms=1
    )
    with engine.begin() as connection:
        execution_id = connection.execute(
            text("SELECT id FROM execution_results WHERE execution_arn = :arn"), {"arn": arn}
        ).scalar_one()
        connection.execute(
            text("DELETE FROM execution_orders WHERE execution_id = :id"), {"id": execution_id}
        )
        connection.execute(text("DELETE FROM ledger_orders WHERE account_id = :a"), {"a": ACCOUNT})
        connection.execute(
            text(_LOAD_SQL.replace("{count}", str(int(count)))),
            {"account": ACCOUNT, "base_id": BASE_ID, "base_ms": BASE_MS},
        )
        connection.execute(text(_LINK_SQL), {"execution_id": execution_id, "account": ACCOUNT})
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state='saved', orders_saved=:n, account_id=:a "
                "WHERE execution_arn=:arn"
            ),
            {"n": count, "arn": arn, "a": ACCOUNT},
        )
    return arn, True


def median_ms(call: Callable[[], Any], runs: int) -> float:
    call()  # warm the connection and the statement cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def cursor_at(engine: Engine, arn: str, depth: int) -> str:
    """A cursor positioned after row number `depth` (what a client holds after paging that far)."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT e.c_time, e.order_id_num, e.order_pk FROM execution_orders AS e "
                "JOIN execution_results AS r ON r.id = e.execution_id WHERE r.execution_arn = :arn "
                "ORDER BY e.c_time DESC, e.order_id_num DESC, e.order_pk DESC LIMIT 1 OFFSET :offset"
            ),
            {"arn": arn, "offset": depth - 1},
        ).one()
    return encode_cursor(*row)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench pagination")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=900_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv or [])
    line: dict[str, Any] = {"bench": "pagination", "database": "mariadb", "orders": args.orders, "page": PAGE}
    try:
        server = pymysql.connect(**MYSQL, connect_timeout=3)
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{DATABASE}` CHARACTER SET utf8mb4")
        server.close()
    except pymysql.MySQLError as exc:
        line["error"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps(line), flush=True)
        return line
    run_migrations(URL)
    engine = make_engine(URL)
    try:
        db = open_database(make_session_factory(engine))
        started = time.perf_counter()
        arn, loaded = ensure_loaded(engine, db, args.orders)
        line.update(loaded_now=loaded, load_s=round(time.perf_counter() - started, 1), depth=args.depth)
        token = cursor_at(engine, arn, args.depth)
        deep = db.orders.query_orders(arn, limit=PAGE, cursor=token)
        by_offset = db.orders.query_orders(arn, limit=PAGE, skip=args.depth)
        line["deep_pages_equal"] = [o["id"] for o in deep.orders] == [o["id"] for o in by_offset.orders]
        line["first_page_ms"] = median_ms(lambda: db.orders.query_orders(arn, limit=PAGE), args.runs)
        line["deep_cursor_ms"] = median_ms(
            lambda: db.orders.query_orders(arn, limit=PAGE, cursor=token), args.runs
        )
        line["deep_offset_ms"] = median_ms(
            lambda: db.orders.query_orders(arn, limit=PAGE, skip=args.depth), 3
        )
        line["ratio"] = round(line["deep_cursor_ms"] / line["first_page_ms"], 2)
        line["targets_met"] = line["ratio"] <= 2 and line["deep_pages_equal"]
    finally:
        engine.dispose()
    print(json.dumps(line), flush=True)
    return line


if __name__ == "__main__":
    main()
