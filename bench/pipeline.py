"""Benchmark: the whole embedded system through HTTP, from POST /orders to every order saved in the DB.

Uvicorn serves the real app in a thread on a free loopback port; the sandbox exchange in its own process (a
custom profile:
3 symbols with about 1,000 orders each, 50 ms latency per request) stands in for Bitget. The service runs
with its default configuration (MaxConcurrency, plan orders on, the account pre-check). The clock runs from
the POST until GET /orders/{arn} reports database_info.state == "saved". Baselines in the same JSON line: the
original system's 68 s for a run of this size, and the rate-limit bound of the requests a complete extraction
needs (bench/ideal.py: per query ceil(orders / 100) + 1, per endpoint path / its published limit, the slowest
path); efficiency = that bound / seconds from POST to saved.

    python -m bench pipeline [--orders-per-symbol 1000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from typing import Any

import requests

from bench.ideal import bound_seconds, ideal_per_path
from bench.sandbox_process import SandboxProcess
from bench.service import embedded_service
from lambda_functions.common.bitget.endpoints import DEFAULT_LIMIT, PUBLISHED_LIMITS

SYMBOLS = ("AAAUSDT", "BBBUSDT", "CCCUSDT")
USDT_SYMBOL_STREAMS = ("spot_normal", "spot_tpsl", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan")
ORIGINAL_SECONDS = 68.0
TARGET_SECONDS = 3.0


def profile(orders_per_symbol: int, latency_ms: float) -> dict[str, Any]:
    """Half spot normal, a tenth spot TP/SL, the rest USDT futures, spread over 60 days."""
    spot = orders_per_symbol // 2
    tpsl = orders_per_symbol // 10
    futures = orders_per_symbol - spot - tpsl
    orders = {"spot_normal": spot, "spot_tpsl": tpsl, "USDT-FUTURES": futures}
    return {
        "name": "pipeline",
        "days": 60,
        "latency_ms": latency_ms,
        "symbols": [{"symbol": s, "orders": orders} for s in SYMBOLS],
    }


def run_once(base: str, session: requests.Session) -> tuple[float, dict[str, Any]]:
    """Seconds from POST /orders to the orders saved, and the final status."""
    began = time.perf_counter()
    started = session.post(f"{base}/orders", json={"symbols": list(SYMBOLS)}, timeout=30)
    started.raise_for_status()
    arn = started.json()["executionArn"]
    while True:
        status = session.get(f"{base}/orders/{arn}", timeout=60).json()
        if status["status"] not in ("RUNNING", "SUCCEEDED"):
            raise RuntimeError(f"execution ended {status['status']}: {status.get('cause')}")
        if status.get("database_info", {}).get("state") == "saved":
            return time.perf_counter() - began, status
        time.sleep(0.02)


def rate_limit_bound(stats: dict[str, Any]) -> tuple[float, dict[str, int]]:
    """max over endpoints of requests / published requests per second (each endpoint has its own limit)."""
    counts = {path: entry["requests"] for path, entry in stats["endpoints"].items() if entry["requests"]}
    bound = max((n / PUBLISHED_LIMITS.get(path, DEFAULT_LIMIT) for path, n in counts.items()), default=0.0)
    return bound, counts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders-per-symbol", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv or [])
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        SandboxProcess(profile(args.orders_per_symbol, args.latency_ms), seed=7) as sandbox,
        embedded_service(sandbox, tmp) as (base, settings),
        requests.Session() as session,
    ):
        for symbol in SYMBOLS:
            sandbox.truth(symbol)  # the sandbox builds a symbol's data on first use: not part of the timing
        sandbox.reset()
        seconds, status = run_once(base, session)
        _, counts = rate_limit_bound(sandbox.stats())
        # A USDT-quoted symbol has these streams (its name rules out USDC-/COIN-FUTURES); plan orders are on.
        ideal = sum((ideal_per_path(sandbox.truth(s), USDT_SYMBOL_STREAMS) for s in SYMBOLS), Counter())
        map_max_concurrency = settings.map_max_concurrency
    bound = bound_seconds(ideal)
    orders = status["database_info"]["orders_in_db"]
    result = {
        "bench": "pipeline",
        "symbols": len(SYMBOLS),
        "orders": orders,
        "orders_expected": args.orders_per_symbol * len(SYMBOLS),
        "latency_ms": args.latency_ms,
        "map_max_concurrency": map_max_concurrency,
        "seconds_post_to_saved": round(seconds, 3),
        "rate_limit_bound_s": round(bound, 3),
        "efficiency": round(bound / seconds, 3),
        "requests": sum(counts.values()),
        "requests_by_endpoint": counts,
        "original_s": ORIGINAL_SECONDS,
        "target_s": TARGET_SECONDS,
        "speedup_vs_original": round(ORIGINAL_SECONDS / seconds, 1),
        "meets_target": seconds <= TARGET_SECONDS,
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
