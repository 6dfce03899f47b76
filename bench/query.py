"""Query benchmark: pages of 100 stored orders served over HTTP to 8 concurrent clients, at random depths.

For each database (a SQLite file; MariaDB database `bitget_orders_bench_query`, dropped afterwards) the ledger is
filled with `--orders` orders of one account, all seen by one saved execution (bench/ledger_fill.py, generated
inside the database; the schema comes from the models). A real uvicorn server of the app (`app.main:app`, its
own process, configured through the environment) serves them; `--clients` threads, each with its own
keep-alive connection, request pages of 100 with `include_raw=false`, each at a random depth by keyset cursor
(cursors are computed from the stored keys beforehand, so every depth costs what the first page costs), for
`--seconds` per endpoint: GET /accounts/{id}/orders and GET /orders/{arn}/database.

Baseline, in the same run: the very same page SQL (app/services/ledger_reads/page_sql.py) with the same
cursors through the bare driver (sqlite3 / pymysql), one connection per thread, the same number of threads:
what the database and driver alone deliver. `ratio` = the endpoint's pages/s / the baseline's.

    python -m bench query [--orders 200000] [--clients 8] [--seconds 10] [--workers 1] [--skip-mysql]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pymysql
from sqlalchemy import text

from app.core.db import make_engine
from app.models.database import Base
from app.services.ledger_reads.account_pages import AccountFilters
from app.services.ledger_reads.cursors import encode_bound_cursor, encode_cursor
from app.services.ledger_reads.page_sql import (
    AccountShape,
    Dialect,
    account_page_sql,
    after_params,
    execution_page_sql,
)
from app.services.ledger_reads.rows import page_fields
from bench.ledger_fill import fill_ledger, link_execution
from bench.ports import free_port

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
MYSQL_DATABASE = "bitget_orders_bench_query"
ACCOUNT = "1187837411"
ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:bench-query"
PAGE = 100
TARGET_PAGES_PER_S = 200
Key = tuple[int, int, int]


def prepare(url: str, orders: int) -> tuple[int, list[Key]]:
    """A fresh schema filled with `orders` orders and one execution that saw them: (execution id, every key
    newest first)."""
    engine = make_engine(url)
    try:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        fill_ledger(engine, ACCOUNT, orders)
        execution_id = link_execution(engine, ARN, ACCOUNT)
        with engine.connect() as connection:
            keys = connection.execute(
                text(
                    "SELECT c_time, order_id_num, id FROM ledger_orders ORDER BY c_time DESC, order_id_num DESC, id DESC"
                )
            ).all()
    finally:
        engine.dispose()
    return execution_id, [(k[0], k[1], k[2]) for k in keys]


def positions(keys: list[Key], count: int, seed: int = 7) -> list[Key | None]:
    """Random page starts: None (the first page) or the key of the row just before the page."""
    rng = random.Random(seed)
    last = len(keys) - PAGE - 1
    return [None if rng.random() < 0.01 else keys[rng.randint(0, last)] for _ in range(count)]


class Server:
    """`uvicorn app.main:app` in its own process, configured through the environment."""

    def __init__(self, url: str, workdir: Path, workers: int) -> None:
        self.port = free_port()
        env = os.environ | {
            "DATABASE_URL": url,
            "AUTO_MIGRATE": "false",  # the bench built the schema from the models
            "WATCH_INTERVAL_S": "0",
            "RESULTS_RETENTION_DAYS": "0",
            "RESULTS_DIR": str(workdir / "results"),
            "LOG_LEVEL": "WARNING",
            "AUTO_RESUME": "false",
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        command += ["--log-level", "warning", "--workers", str(workers), "--no-access-log"]
        self._process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[1])

    @property
    def pid(self) -> int:
        return self._process.pid

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("uvicorn exited")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)


def run_threads(clients: int, seconds: float, work: Callable[[int], Callable[[int], int]]) -> dict[str, Any]:
    """`clients` threads each calling its `work(thread)(i)` (returns bytes) until the time is up."""
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def loop(thread: int) -> None:
        call, mine, nbytes = work(thread), [], []
        start.wait()
        i = thread
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            nbytes.append(call(i))
            mine.append(time.perf_counter() - began)
            i += clients
        with lock:
            latencies.extend(mine)
            sizes.extend(nbytes)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "pages": len(latencies),
        "pages_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "bytes_per_page": round(sum(sizes) / len(sizes)),
    }


def http_work(port: int, paths: list[str]) -> Callable[[int], Callable[[int], int]]:
    def make(_thread: int) -> Callable[[int], int]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def call(i: int) -> int:
            connection.request("GET", paths[i % len(paths)])
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:300]!r}")
            return len(body)

        return call

    return make


def driver_work(
    connect: Callable[[], Any], queries: list[tuple[str, tuple[Any, ...]]]
) -> Callable[[int], Callable[[int], int]]:
    def make(_thread: int) -> Callable[[int], int]:
        connection = connect()

        def call(i: int) -> int:
            cursor = connection.cursor()
            cursor.execute(*queries[i % len(queries)])
            rows = cursor.fetchall()
            cursor.close()
            if len(rows) != PAGE + 1:
                raise RuntimeError(f"baseline page of {len(rows)} rows")
            return 0

        return call

    return make


def account_path(start: Key | None) -> str:
    params = {"limit": PAGE}
    if start is not None:
        params["cursor"] = encode_bound_cursor(start, AccountFilters(ACCOUNT).fingerprint)  # type: ignore[assignment]
    return f"/accounts/{ACCOUNT}/orders?{urlencode(params)}"


def database_path(start: Key | None) -> str:
    params: dict[str, Any] = {"limit": PAGE, "include_raw": "false"}
    if start is not None:
        params["cursor"] = encode_cursor(*start)
    return f"/orders/{quote(ARN, safe=':')}/database?{urlencode(params)}"


def baseline_queries(
    dialect: Dialect, execution_id: int, starts: list[Key | None]
) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    """The endpoints' page SQL and parameters (one row more than shown, as the service asks)."""
    fields = page_fields(False)
    account, execution = [], []
    for start in starts:
        after = after_params(start) if start is not None else ()
        sql = account_page_sql(dialect, fields, AccountShape(after=start is not None))
        account.append((sql, (ACCOUNT, *after, PAGE + 1)))
        sql = execution_page_sql(
            dialect, fields, symbol=False, stream=False, after=start is not None, offset=False
        )
        execution.append((sql, (execution_id, *after, PAGE + 1)))
    return {"account_orders": account, "execution_database": execution}


def measure(
    name: str, url: str, connect: Callable[[], Any], dialect: Dialect, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    began = time.perf_counter()
    execution_id, keys = prepare(url, args.orders)
    fill_s = time.perf_counter() - began
    starts = positions(keys, 2000)
    paths = {
        "account_orders": [account_path(s) for s in starts],
        "execution_database": [database_path(s) for s in starts],
    }
    baseline = baseline_queries(dialect, execution_id, starts)
    line: dict[str, Any] = {"bench": "query", "database": name, "orders": args.orders, "page": PAGE,
                            "clients": args.clients, "seconds": args.seconds, "server_workers": args.workers,
                            "fill_s": round(fill_s, 1)}  # fmt: skip
    with Server(url, workdir, args.workers) as server:
        for endpoint, endpoint_paths in paths.items():
            run_threads(args.clients, 1.0, http_work(server.port, endpoint_paths))  # warm up
            result = run_threads(args.clients, args.seconds, http_work(server.port, endpoint_paths))
            driver = run_threads(args.clients, args.seconds, driver_work(connect, baseline[endpoint]))
            result["baseline_driver_pages_per_s"] = driver["pages_per_s"]
            result["baseline_driver_p50_ms"] = driver["p50_ms"]
            result["ratio"] = round(result["pages_per_s"] / driver["pages_per_s"], 3)
            line[endpoint] = result
    line["load_avg_1m"] = round(os.getloadavg()[0], 2)
    line["targets_met"] = all(line[e]["pages_per_s"] >= TARGET_PAGES_PER_S for e in paths)
    return line


def _sqlite_connect(path: Path) -> Callable[[], Any]:
    def connect() -> Any:
        connection = sqlite3.connect(path, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    return connect


def _mysql_connect() -> Any:
    return pymysql.connect(**MYSQL, database=MYSQL_DATABASE, charset="utf8mb4")


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--skip-mysql", action="store_true")
    args = parser.parse_args(argv or [])
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        workdir = Path(tmp)
        path = workdir / "query.db"
        lines.append(
            measure("sqlite", f"sqlite:///{path}", _sqlite_connect(path), Dialect("sqlite"), args, workdir)
        )
        print(json.dumps(lines[-1]), flush=True)
        if not args.skip_mysql:
            server = pymysql.connect(**MYSQL)
            with server.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DATABASE}`")
                cursor.execute(f"CREATE DATABASE `{MYSQL_DATABASE}` CHARACTER SET utf8mb4")
            url = f"mysql+pymysql://{MYSQL['user']}@{MYSQL['host']}:{MYSQL['port']}/{MYSQL_DATABASE}"
            try:
                lines.append(measure("mariadb", url, _mysql_connect, Dialect("mysql"), args, workdir))
                print(json.dumps(lines[-1]), flush=True)
            finally:
                with server.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DATABASE}`")
                server.close()
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
