"""Aggregator benchmark: merge ≥ 1,000,000 orders from 50 per-symbol files with bounded memory.

Per-symbol files are generated streaming (never a list of all orders) into a temporary local results store.
The aggregation then runs in a fresh child process, which reports its peak RSS (ru_maxrss) minus its RSS just
before the merge: the memory the merge and the document writer really need, free of the generator's heap.
The same child then times a parse-only pass over the same files (ijson, no merge, no write) as the baseline.

    python -m bench aggregate [--orders 1000000] [--symbols 50]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lambda_functions.common.keys import symbol_orders_key
from lambda_functions.common.results_store import LocalResultsStore

PREFIX = "bench-results/"
EXECUTION = "bench-aggregate"
BASE_MS = 1_760_000_000_000
STREAMS = ("spot_normal", "spot_tpsl", "USDT-FUTURES", "USDT-FUTURES_plan")
_encode = json.JSONEncoder(separators=(",", ":")).encode


def symbol_names(count: int) -> list[str]:
    return [f"S{i:03d}USDT" for i in range(count)]


def _order(symbol: str, index: int, c_time: int, symbol_no: int) -> dict[str, Any]:
    # grows with time and, within one millisecond, falls with index: the file stays newest first
    order_id = c_time * 1_000_000 + symbol_no * 1000 + 999 - (index % 3 == 0)
    return {
        "userId": "1234567890",
        "symbol": symbol,
        "orderId": str(order_id),
        "clientOid": f"cli-{order_id}",
        "price": "64250.12",
        "size": "0.0150",
        "orderType": "limit",
        "side": "buy" if index % 2 else "sell",
        "status": "filled",
        "priceAvg": "64250.10",
        "baseVolume": "0.0150",
        "quoteVolume": "963.75",
        "enterPointSource": "API",
        "orderSource": "normal",
        "cTime": str(c_time),
        "uTime": str(c_time + 350),
        "stream": STREAMS[index % len(STREAMS)],
    }


def write_symbol_file(store: LocalResultsStore, symbol: str, symbol_no: int, count: int) -> None:
    """One newest-first file written order by order; cTime ties every few orders, like bulk orders."""
    rng = random.Random(symbol)
    c_time = BASE_MS
    with store.writer(symbol_orders_key(PREFIX, EXECUTION, symbol)) as fh:
        fh.write(f'{{"symbol":"{symbol}","execution":"{EXECUTION}","orders":['.encode())
        for index in range(count):
            if index % 3:
                c_time -= rng.randint(1, 20_000)
            fh.write(
                ("," if index else "").encode() + _encode(_order(symbol, index, c_time, symbol_no)).encode()
            )
        fh.write(b"]}")


def _rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def run_child(root: str, symbols: list[str]) -> dict[str, Any]:
    """In the child process: the measured aggregation, then the parse-only baseline."""
    import ijson

    from lambda_functions.aggregator.aggregation import aggregate
    from lambda_functions.aggregator.events import AggregateRequest
    from lambda_functions.aggregator.merge import read_orders
    from lambda_functions.aggregator.settings import AggregatorSettings

    store = LocalResultsStore(root, "http://127.0.0.1:8000/results")
    settings = AggregatorSettings(results_prefix=PREFIX, cleanup_per_symbol_files=False)
    request = AggregateRequest(execution=EXECUTION, symbols=symbols, results=[])
    baseline_rss = _rss_bytes()
    started = time.perf_counter()
    response = aggregate(request, store, settings, time.time)
    wall_s = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

    # After the measurement: ru_maxrss is a lifetime peak, so the baseline must not run before it.
    started = time.perf_counter()
    parsed = 0
    for symbol in symbols:
        with store.reader(symbol_orders_key(PREFIX, EXECUTION, symbol)) as fh:
            parsed += sum(1 for _ in read_orders(fh))
    parse_only_s = time.perf_counter() - started
    return {
        "orders": response["summary"]["total_orders"],
        "parsed": parsed,
        "wall_s": wall_s,
        "parse_only_s": parse_only_s,
        "rss_growth_mb": max(0, peak_rss - baseline_rss) / 1e6,
        "ijson_backend": ijson.backend,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench aggregate")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: results root of the child run
    args = parser.parse_args(argv)
    symbols = symbol_names(args.symbols)
    if args.child:
        print(json.dumps(run_child(args.child, symbols)))
        return {}

    per_symbol = -(-args.orders // args.symbols)  # ceiling: at least --orders in total
    with tempfile.TemporaryDirectory(prefix="bench-aggregate-") as root:
        store = LocalResultsStore(root)
        generate_started = time.perf_counter()
        for number, symbol in enumerate(symbols):
            write_symbol_file(store, symbol, number, per_symbol)
        generate_s = time.perf_counter() - generate_started
        input_mb = sum(p.stat().st_size for p in Path(root).rglob("*.json")) / 1e6
        child = subprocess.run(
            [sys.executable, "-m", "bench.aggregate", "--symbols", str(args.symbols), "--child", root],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise RuntimeError(f"aggregation child failed:\n{child.stderr[-4000:]}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])

    result = {
        "bench": "aggregate",
        "orders": measured["orders"],
        "symbols": args.symbols,
        "wall_s": round(measured["wall_s"], 3),
        "rss_growth_mb": round(measured["rss_growth_mb"], 1),
        "rss_target_mb": 150,
        "orders_per_s": round(measured["orders"] / measured["wall_s"]),
        "baseline_parse_only_s": round(measured["parse_only_s"], 3),
        "input_mb": round(input_mb, 1),
        "generate_s": round(generate_s, 3),
        "ijson_backend": measured["ijson_backend"],
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
