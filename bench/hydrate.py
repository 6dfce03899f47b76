"""Hydration benchmark: Hydration.hydrate of ≥ 200,000 orders vs the raw driver's executemany.

A consolidated document (spot + futures shapes, newest first) is generated streaming into a temp dir. For each
database (a SQLite file; MariaDB in a database of its own, dropped afterwards) on an empty, migrated schema:
- baseline (`baseline_rows_per_s`): the same storage written by the raw driver: the same ledger rows (built by
  the same `row_chunks`, so the same 26 columns and values) in the same chunks (`--chunk-rows`), `INSERT OR
  IGNORE` / `INSERT IGNORE` into `ledger_orders`, plus one `execution_orders` link per row (the ledger ids are
  known: the table starts empty), one commit per chunk, through the DB-API cursor's `executemany` (sqlite3 /
  pymysql) on a connection with the pragmas our engine sets (WAL, synchronous=NORMAL); only the executemany +
  commit time is counted: the baseline pays neither JSON parsing, row building nor the ledger look-ups;
- SQLite also reports `raw_multirow_rows_per_s`: the same, but with multi-row INSERT statements for the ledger
  rows (as hydration sends them on SQLite), to show the statement form is not where our speed comes from;
- ours: `hydrate()` end to end (parse, row mapping, inserts through SQLAlchemy's connection, progress updates),
  with a sampling thread recording the peak RSS growth during the call.
One JSON line per database is printed (with the 1-minute load average: the machine is shared); the returned
dict holds both.

    python -m bench hydrate [--orders 200000] [--chunk-rows 2000] [--skip-mysql] [--parser auto|subprocess|in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pymysql
from sqlalchemy import text

from app.core.db import make_engine, make_session_factory, run_migrations
from app.models.order_rows import ORDER_COLUMNS, row_chunks
from app.services.database import open_database
from app.services.hydration.inserts import sqlite_batches, sqlite_rows_per_statement
from app.services.hydration.service import DEFAULT_CHUNK_ROWS

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
MYSQL_DATABASE = "bitget_orders_bench_hydrate"
BASE_ID = 1_115_965_643_967_582_214
BASE_MS = 1_760_000_000_000
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT")
STREAMS = ("spot_normal", "spot_tpsl", "USDT-FUTURES", "USDT-FUTURES_plan", "USDC-FUTURES")
PARSERS = {"auto": None, "subprocess": True, "in-process": False}  # Hydration.parse_in_subprocess
_encode = json.JSONEncoder(separators=(",", ":")).encode


def bench_order(i: int) -> dict[str, Any]:
    """The i-th newest order: ids and times fall with i (cTime ties in threes)."""
    stream, symbol = STREAMS[i % len(STREAMS)], SYMBOLS[i % len(SYMBOLS)]
    c_time = str(BASE_MS - (i // 3) * 1000)
    order: dict[str, Any] = {
        "symbol": symbol, "orderId": str(BASE_ID - i), "clientOid": f"cli-{i}", "price": "64250.12",
        "size": "0.0150", "orderType": "limit", "side": "buy" if i % 2 else "sell", "priceAvg": "64250.10",
        "baseVolume": "0.0150", "quoteVolume": "963.75", "enterPointSource": "API", "orderSource": "normal",
        "cTime": c_time, "uTime": c_time, "stream": stream,
    }  # fmt: skip
    if stream.startswith("spot_"):
        order.update(userId="1234567890", status="filled", feeDetail='{"newFees":{"t":-0.0000794}}')
    else:
        order.update(
            fee="-0.004335", status="filled", force="gtc", totalProfits="0", posSide="long", marginCoin="USDT",
            leverage="20", marginMode="crossed", tradeSide="open", posMode="hedge_mode", reduceOnly="NO",
            presetStopSurplusPrice="", presetStopLossPrice="",
        )  # fmt: skip
    return order


def write_document(path: Path, count: int) -> None:
    """A consolidated document of `count` orders, written one order at a time."""
    with path.open("w") as fh:
        fh.write(
            '{"execution":"bench","execution_arn":"arn:bench","generated_at":"2026-01-01T00:00:00Z","orders":['
        )
        for i in range(count):
            fh.write(("," if i else "") + _encode(bench_order(i)))
        fh.write(f'],"summary":{{"total_orders":{count}}}}}')


LINK_FIELDS = tuple(ORDER_COLUMNS.index(c) for c in ("symbol", "stream", "c_time", "order_id_num"))


def link_insert(placeholder: str, verb: str) -> str:
    markers = ", ".join([placeholder] * 6)
    return f"{verb} INTO execution_orders (execution_id, order_pk, symbol, stream, c_time, order_id_num) VALUES ({markers})"


def raw_rows_per_s(
    connection: Any,
    insert: Callable[[Any, list[tuple[Any, ...]]], None],
    path: Path,
    chunk_rows: int,
    links: str,
) -> float:
    """Raw driver: `insert(cursor, chunk)` + the chunk's links + commit per chunk; only the database time is
    counted (the links' tuples are built before the clock starts)."""
    rows, spent = 0, 0.0
    cursor = connection.cursor()
    with path.open("rb") as fh:
        for chunk in row_chunks(fh, "bench-baseline", chunk_rows):
            chunk_links = [(1, rows + i + 1, *(row[f] for f in LINK_FIELDS)) for i, row in enumerate(chunk)]
            started = time.perf_counter()
            insert(cursor, chunk)
            cursor.executemany(links, chunk_links)
            connection.commit()
            spent += time.perf_counter() - started
            rows += len(chunk)
    cursor.close()
    return rows / spent


def executemany_insert(placeholder: str, verb: str) -> Callable[[Any, list[tuple[Any, ...]]], None]:
    markers = ", ".join([placeholder] * len(ORDER_COLUMNS))
    sql = f"{verb} INTO ledger_orders ({', '.join(ORDER_COLUMNS)}) VALUES ({markers})"
    return lambda cursor, chunk: cursor.executemany(sql, chunk)


def sqlite_multirow_insert(connection: Any) -> Callable[[Any, list[tuple[Any, ...]]], None]:
    """The statement form hydration sends on SQLite: equal multi-row INSERTs within the bound-variable limit."""
    most = sqlite_rows_per_statement(connection)
    row = "(" + ", ".join("?" * len(ORDER_COLUMNS)) + ")"

    def insert(cursor: Any, chunk: list[tuple[Any, ...]]) -> None:
        for count, params in sqlite_batches(chunk, most):
            values = ", ".join([row] * count)
            cursor.execute(
                f"INSERT OR IGNORE INTO ledger_orders ({', '.join(ORDER_COLUMNS)}) VALUES {values}",  # noqa: S608
                params,
            )

    return insert


class PeakRss:
    """Samples this process's RSS in a thread; `growth_mb` = peak minus the RSS at start."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self._process, self._interval = psutil.Process(), interval_s
        self._stop = threading.Event()
        self.start_rss = self.peak_rss = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return round((self.peak_rss - self.start_rss) / 2**20, 1)


def measure_hydrate(
    database_url: str, path: Path, chunk_rows: int, parse_in_subprocess: bool | None = None
) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        db = open_database(make_session_factory(engine), chunk_rows=chunk_rows)
        db.hydration.parse_in_subprocess = parse_in_subprocess
        with PeakRss() as rss:
            started = time.perf_counter()
            state = db.hydration.hydrate("arn:bench:ours", lambda: path.open("rb"), source=path.as_uri())
            elapsed = time.perf_counter() - started
        if state.state != "saved":
            raise RuntimeError(f"hydration did not finish: {state}")
        parse = db.executions.list_logs("arn:bench:ours")[-1][
            "details"
        ]  # "hydration finished": how it parsed
        return {"rows": state.orders_saved, "seconds": round(elapsed, 2), "rows_per_s": round(state.orders_saved / elapsed),
                "rss_growth_mb": rss.growth_mb, "parser": parse["parser"],
                "child_peak_rss_mb": parse.get("parser_peak_rss_mb"),
                "child_rss_growth_mb": parse.get("parser_rss_growth_mb")}  # fmt: skip
    finally:
        engine.dispose()


def run_sqlite(path: Path, workdir: Path, chunk_rows: int, parse: bool | None = None) -> dict[str, Any]:
    import sqlite3

    baseline_db, multirow_db, ours_db = workdir / "baseline.db", workdir / "multirow.db", workdir / "ours.db"
    run_migrations(f"sqlite:///{ours_db}")
    baselines = {}
    for name, db in (("baseline_rows_per_s", baseline_db), ("raw_multirow_rows_per_s", multirow_db)):
        run_migrations(f"sqlite:///{db}")
        connection = sqlite3.connect(db)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # the same settings make_engine gives ours
        insert = (
            executemany_insert("?", "INSERT OR IGNORE")
            if name == "baseline_rows_per_s"
            else sqlite_multirow_insert(connection)
        )
        links = link_insert("?", "INSERT OR IGNORE")
        baselines[name] = round(raw_rows_per_s(connection, insert, path, chunk_rows, links))
        connection.close()
    return {"database": "sqlite", **baselines} | measure_hydrate(
        f"sqlite:///{ours_db}", path, chunk_rows, parse
    )


def run_mysql(path: Path, chunk_rows: int, parse: bool | None = None) -> dict[str, Any]:
    server = pymysql.connect(**MYSQL, connect_timeout=3)
    url = f"mysql+pymysql://{MYSQL['user']}@{MYSQL['host']}:{MYSQL['port']}/{MYSQL_DATABASE}"
    try:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DATABASE}`")
            cursor.execute(f"CREATE DATABASE `{MYSQL_DATABASE}` CHARACTER SET utf8mb4")
        run_migrations(url)
        connection = pymysql.connect(**MYSQL, database=MYSQL_DATABASE, charset="utf8mb4")
        links = link_insert("%s", "INSERT IGNORE")
        baseline = raw_rows_per_s(
            connection, executemany_insert("%s", "INSERT IGNORE"), path, chunk_rows, links
        )
        connection.close()
        engine = make_engine(url)
        with engine.begin() as conn:  # both runs start from an empty table
            conn.execute(text("TRUNCATE TABLE ledger_orders"))
            conn.execute(text("TRUNCATE TABLE execution_orders"))
        engine.dispose()
        return {"database": "mariadb", "baseline_rows_per_s": round(baseline)} | measure_hydrate(
            url, path, chunk_rows, parse
        )
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DATABASE}`")
        server.close()


def _finish(line: dict[str, Any], orders: int, chunk_rows: int) -> dict[str, Any]:
    line = {"bench": "hydrate", "orders": orders, "chunk_rows": chunk_rows, **line}
    line["load_avg_1m"] = round(os.getloadavg()[0], 2)
    if "rows_per_s" in line:
        line["ratio"] = round(line["rows_per_s"] / line["baseline_rows_per_s"], 3)
        line["targets_met"] = line["ratio"] >= 0.7 and line["rss_growth_mb"] <= 100 and line["rows"] == orders
    print(json.dumps(line), flush=True)
    return line


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench hydrate")
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument("--skip-mysql", action="store_true")
    parser.add_argument(
        "--parser",
        choices=PARSERS,
        default="auto",
        help="where hydrate() parses: Hydration.parse_in_subprocess, default auto",
    )
    args = parser.parse_args(argv or [])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hydrate-") as tmp:
        workdir = Path(tmp)
        document = workdir / "result.json"
        write_document(document, args.orders)
        results["sqlite"] = _finish(
            run_sqlite(document, workdir, args.chunk_rows, PARSERS[args.parser]), args.orders, args.chunk_rows
        )
        if not args.skip_mysql:
            try:
                line = run_mysql(document, args.chunk_rows, PARSERS[args.parser])
            except pymysql.MySQLError as exc:
                line = {"database": "mariadb", "error": f"{type(exc).__name__}: {exc}"}
            results["mariadb"] = _finish(line, args.orders, args.chunk_rows)
    return results


if __name__ == "__main__":
    main()
