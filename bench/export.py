"""Benchmark: exports of 1,000,000 orders streamed over HTTP with bounded memory, per database and format.

The orders of one account are generated inside the database (bench/ledger_fill.py) and linked to one saved
execution; a real server (uvicorn in its own process, bench/query.py) streams
`GET /accounts/{id}/orders/export?format=csv|ndjson|parquet` and `GET /orders/{arn}/export?format=csv` while
the server's RSS is sampled every 20 ms. Baseline in the same run: the bare driver reading the same rows
(every column, 10,000 at a time). One JSON line per database.

    python -m bench export [--orders 1000000] [--databases sqlite,mariadb]
"""

from __future__ import annotations

import argparse
import http.client
import json
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import psutil
import pymysql

from app.core.db import make_engine
from app.models.database import Base
from bench.ledger_fill import BASE_MS, fill_ledger, link_execution
from bench.query import Server

ACCOUNT = "1187837411"
ARN = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:bench-export"
RSS_TARGET_MB = 100
FORMATS = ("csv", "ndjson", "parquet")


class RssSampler:
    """The peak RSS of a process, sampled every 20 ms while `with` lasts."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def stream(port: int, path: str, sink: BinaryIO) -> tuple[int, int, bytes]:
    """GET `path`, writing the body to `sink` as it arrives: (bytes, newlines, first 4 KiB)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path)
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}: {response.read(2000)!r}")
    total = newlines = 0
    head = b""
    while chunk := response.read(1 << 20):
        total += len(chunk)
        newlines += chunk.count(b"\n")
        head = head or chunk[:4096]
        sink.write(chunk)
    connection.close()
    return total, newlines, head


def export_paths() -> dict[str, str]:
    paths = {fmt: f"/accounts/{ACCOUNT}/orders/export?format={fmt}" for fmt in FORMATS}
    paths["csv-execution"] = f"/orders/{quote(ARN, safe=':')}/export?format=csv"
    return paths


def measure_exports(url: str, workdir: Path) -> dict[str, dict[str, float]]:
    """Per export: seconds, MB streamed, newlines, the server's RSS growth."""
    figures: dict[str, dict[str, float]] = {}
    with Server(url, workdir, 1) as server:
        warm = f"/accounts/{ACCOUNT}/orders/export?format=parquet&start_ms={BASE_MS}"  # imports pyarrow: a few rows
        with open_null() as sink:
            stream(server.port, warm, sink)
        for name, path in export_paths().items():
            started = time.monotonic()
            with RssSampler(server.pid) as rss, open_null() as sink:
                size, newlines, _ = stream(server.port, path, sink)
            figures[name] = {
                "seconds": round(time.monotonic() - started, 2),
                "mb": round(size / 1e6, 1),
                "newlines": newlines,
                "rss_growth_mb": round(rss.growth_mb, 1),
            }
    return figures


def open_null() -> BinaryIO:
    return open("/dev/null", "wb")


def baseline_seconds(url: str) -> float:
    """The bare driver reading every stored column of the account's orders, 10,000 rows at a time."""
    engine = make_engine(url)
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            marker = "?" if engine.dialect.name == "sqlite" else "%s"
            cursor.execute(f"SELECT * FROM ledger_orders WHERE account_id = {marker}", (ACCOUNT,))  # noqa: S608
            while cursor.fetchmany(10_000):
                pass
            cursor.close()
    finally:
        engine.dispose()
    return round(time.monotonic() - started, 2)


def fill(url: str, orders: int) -> float:
    engine = make_engine(url)
    started = time.monotonic()
    try:
        Base.metadata.create_all(engine)
        fill_ledger(engine, ACCOUNT, orders)
        link_execution(engine, ARN, ACCOUNT)
    finally:
        engine.dispose()
    return round(time.monotonic() - started, 1)


def run_database(database: str, orders: int) -> dict[str, Any]:
    line: dict[str, Any] = {"bench": "export", "database": database, "orders": orders}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        if database == "sqlite":
            url, cleanup = f"sqlite:///{Path(tmp) / 'export.db'}", None
        else:
            name = f"bench_export_{uuid.uuid4().hex[:8]}"
            server = pymysql.connect(host="127.0.0.1", user="root", password="", connect_timeout=3)
            with server.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            url, cleanup = f"mysql+pymysql://root@127.0.0.1:3306/{name}", (server, name)
        try:
            line["fill_s"] = fill(url, orders)
            line["baseline_driver_read_s"] = baseline_seconds(url)
            line["exports"] = measure_exports(url, Path(tmp))
        finally:
            if cleanup is not None:
                server, name = cleanup
                with server.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                server.close()
    exports = line["exports"]
    line["max_rss_growth_mb"] = max(e["rss_growth_mb"] for e in exports.values())
    line["rss_target_mb"] = RSS_TARGET_MB
    line["all_rows"] = all(
        e["newlines"] == orders + (1 if name.startswith("csv") else 0)
        for name, e in exports.items()
        if name != "parquet"
    )
    line["targets_met"] = line["max_rss_growth_mb"] <= RSS_TARGET_MB and line["all_rows"]
    return line


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,mariadb")
    args = parser.parse_args(argv or [])
    lines = []
    for database in args.databases.split(","):
        line = run_database(database, args.orders)
        print(json.dumps(line), flush=True)
        lines.append(line)
    return lines


if __name__ == "__main__":
    main()
