"""Worker benchmark: N symbols through 5 parallel workers (as the Map runs them) against the rate-limited
sandbox.

The sandbox runs in-process with the bench profile, Bitget's rate limits enforced and 50 ms latency. A
ThreadPoolExecutor of `--workers` calls the worker handler once per symbol, like a Step Functions Map with
that MaxConcurrency, each worker with WORKER_RATE_SHARE = 1/workers. Results go to a temporary local store
and are compared with the sandbox's ground truth.

Figures:
- requests: every /api/v2 request the sandbox received (history pages, retries, the market lists);
- ideal_requests: sum over queries of max(1, ceil(n / 100)): the fewest pages at 100 per page (a futures plan
  stream is three queries, one per planType Bitget requires); a stream that turned out not applicable (its
  market does not have the symbol) needs 0;
- streams: every stream the workers ran, not-applicable ones included (each of those costs one probe, which
  the target "requests <= ideal_requests + one per stream" allows); not_applicable: how many of them;
- bound_s: the rate-limit bound, per endpoint family (spot, futures): requests / published limit, the larger;
  bound_path_s: the same per endpoint path (each path has its own limit): the tighter, honest bound;
- efficiency = bound_s / wall_s (efficiency_path likewise);
- lost / duplicated / unexpected against the truth; http_429 from the sandbox's counters.

    python -m bench worker [--symbols 20] [--workers 5] [--latency-ms 50] [--no-plan]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import SecretStr

from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker import app
from lambda_functions.worker.settings import WorkerSettings
from sandbox import SandboxServer
from sandbox.data import PLAN_QUERY_TYPES

SPOT_PATHS = (ep.SPOT_HISTORY_ORDERS, ep.SPOT_PLAN_HISTORY)
FUTURES_PATHS = (ep.FUTURES_HISTORY_ORDERS, ep.FUTURES_PLAN_HISTORY)
_QUERY_OF_PLAN = {plan: query for query, plans in PLAN_QUERY_TYPES.items() for plan in plans}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench worker")
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--no-plan", action="store_true", help="leave plan-order streams out")
    return parser.parse_args(argv)


def _settings(server: SandboxServer, workers: int, plan: bool) -> WorkerSettings:
    creds = server.credentials
    return WorkerSettings(
        _env_file=None,
        bitget_base=server.base_url,
        bitget_api_key=SecretStr(creds.api_key),
        bitget_api_secret=SecretStr(creds.api_secret),
        bitget_api_passphrase=SecretStr(creds.passphrase),
        worker_rate_share=1.0 / workers,
        include_plan_orders=plan,
        max_execution_time=900,
    )


def _query_key(order: dict[str, Any]) -> str:
    """The Bitget query an order comes from: its stream, plus the planType query for futures plan streams."""
    stream = order["stream"]
    if stream.endswith("_plan") and not stream.startswith("spot"):
        return f"{stream}:{_QUERY_OF_PLAN.get(order.get('planType', ''), 'normal_plan')}"
    return stream


def _ideal_requests(truth: list[dict[str, Any]], streams: list[str]) -> int:
    per_query = Counter(_query_key(order) for order in truth)
    queries: list[str] = []
    for stream in streams:
        if stream.endswith("_plan") and not stream.startswith("spot"):
            queries += [f"{stream}:{query}" for query in PLAN_QUERY_TYPES]
        else:
            queries.append(stream)
    return sum(max(1, math.ceil(per_query.get(query, 0) / 100)) for query in queries)


def _bounds(stats: dict[str, Any]) -> tuple[float, float]:
    """(family bound, per-path bound) in seconds from the sandbox's per-endpoint request counts."""
    counts = {
        path: stats["endpoints"].get(path, {}).get("requests", 0) for path in SPOT_PATHS + FUTURES_PATHS
    }
    family = max(
        sum(counts[p] for p in SPOT_PATHS) / ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS],
        sum(counts[p] for p in FUTURES_PATHS) / ep.PUBLISHED_LIMITS[ep.FUTURES_HISTORY_ORDERS],
    )
    per_path = max(counts[p] / ep.PUBLISHED_LIMITS[p] for p in counts)
    return family, per_path


def _compare(store: LocalResultsStore, server: SandboxServer, summaries: list[dict[str, Any]], plan: bool):
    lost = duplicated = unexpected = ideal = streams_total = not_applicable = 0
    for summary in summaries:
        detail = store.get_json(summary["detail_key"])
        streams = [name for name, s in detail["streams"].items() if not s["not_applicable"]]
        streams_total += len(detail["streams"])
        not_applicable += len(detail["streams"]) - len(streams)
        window = summary["window"]
        truth = server.truth(summary["symbol"], window["start_ms"], window["end_ms"])
        truth = [t for t in truth if plan or not t["stream"].endswith("_plan")]
        ideal += _ideal_requests(truth, streams)
        with store.reader(summary["orders_key"]) as fh:
            got = [(o["stream"], o["orderId"]) for o in json.load(fh)["orders"]]
        expected = {(t["stream"], t["orderId"]) for t in truth}
        duplicated += len(got) - len(set(got))
        lost += len(expected - set(got))
        unexpected += len(set(got) - expected)
    return lost, duplicated, unexpected, ideal, streams_total, not_applicable


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    plan = not args.no_plan
    with (
        SandboxServer("bench", seed=42, enforce_rate_limits=True) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        server.set_faults(latency_ms=args.latency_ms)
        symbols = [spec.symbol for spec in server.profile.symbols][: args.symbols]
        store = LocalResultsStore(tmp)
        app.set_dependencies(app.build_dependencies(_settings(server, args.workers, plan), store))
        events = [{"symbol": symbol, "execution": "bench-worker"} for symbol in symbols]
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.workers, thread_name_prefix="map") as pool:
                summaries = list(pool.map(lambda event: app.handler(event, None), events))
            wall_s = time.perf_counter() - started
        finally:
            app.set_dependencies(None)
        stats = server.stats()
        lost, duplicated, unexpected, ideal, streams, not_applicable = _compare(
            store, server, summaries, plan
        )
    bound_s, bound_path_s = _bounds(stats)
    result = {
        "bench": "worker",
        "symbols": len(symbols),
        "workers": args.workers,
        "latency_ms": args.latency_ms,
        "plan_orders": plan,
        "orders": sum(s["orders"] for s in summaries),
        "complete": all(s["complete"] for s in summaries),
        "streams": streams,
        "not_applicable": not_applicable,
        "requests": stats["requests"],
        "ideal_requests": ideal,
        "retries": sum(s["retries"] for s in summaries),
        "wall_s": round(wall_s, 2),
        "bound_s": round(bound_s, 2),
        "efficiency": round(bound_s / wall_s, 3),
        "bound_path_s": round(bound_path_s, 2),
        "efficiency_path": round(bound_path_s / wall_s, 3),
        "http_429": stats["http_429"],
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
