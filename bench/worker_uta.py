"""`bench worker --shape uta`: a Unified Trading Account read whole (orders and fills) against the v3 limits.

The sandbox serves a unified account (v3 endpoints only: v2 answers 40085) of UTA_SYMBOLS symbols over 85 days,
orders in every category, each filled order with its fills. The two account units (`ALL_SPOT`: SPOT and MARGIN;
`ALL_FUTURES`: the three futures categories) run at once, as the Map runs them; embedded mode shares one
limiter, `--aws-share` gives each its own at the coordinator's share for a unified account (0.5: both page the
same v3 paths).

The ideal: Bitget takes at most 30 days per v3 request, so each category's history and fills are asked per
30-day slice of the window. A slice of n orders needs n // 100 + 1 pages: the page holding the oldest order
has no cursor and ends the walk when it is short (a full one is never trusted as the end). Fill pages always
carry a cursor, so n fills need ceil(n / 100) + 1: the null list proves the end.
bound_path_s = the slowest path's ideal requests / its published limit (20/s each); efficiency_path =
bound_path_s / wall_s. lost / duplicated / unexpected: against the sandbox's truth (orders and fills).
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

from bench.sandbox_process import SandboxProcess
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.common.streams import is_fill_stream, record_id
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.window import UTA_MAX_SPAN_MS, Window, slices

UTA_PATHS = (ep.UTA_HISTORY_ORDERS, ep.UTA_FILLS)
UNITS = ("ALL_SPOT", "ALL_FUTURES")
UTA_SYMBOLS = 10
# Orders per symbol and category: about 60,000 orders (and twice as many fills) in all.
UTA_ORDERS = {"uta_SPOT": 2_500, "uta_MARGIN": 400, "uta_USDT-FUTURES": 2_500}


def profile() -> dict[str, Any]:
    symbols: list[dict[str, Any]] = [
        {"symbol": f"{base}USDT", "orders": dict(UTA_ORDERS)}
        for base in ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "LINK", "AVAX")[:UTA_SYMBOLS]
    ]
    symbols += [
        {"symbol": "BTCUSD", "orders": {"uta_COIN-FUTURES": 2_000}},
        {"symbol": "BTCPERP", "orders": {"uta_USDC-FUTURES": 1_500}},
    ]
    return {"name": "bench-uta", "account_mode": "unified", "days": 85, "tie_share": 0.05, "symbols": symbols}


def ideal_per_path(records: list[dict[str, Any]], window: Window) -> Counter[str]:
    """Fewest requests per v3 path, per stream and 30-day slice (streams with no row included: each category is
    asked once per slice)."""
    spans = slices(window, UTA_MAX_SPAN_MS)
    per_slice: Counter[tuple[str, int]] = Counter()
    for record in records:
        created = int(record["cTime"] if "cTime" in record else record["createdTime"])
        index = next(i for i, (lo, hi) in enumerate(spans) if lo <= created <= hi)
        per_slice[(record["stream"], index)] += 1
    ideal: Counter[str] = Counter()
    for category in ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES"):
        for fills, path in ((False, ep.UTA_HISTORY_ORDERS), (True, ep.UTA_FILLS)):
            stream = f"uta_{category}" + ("_fills" if fills else "")
            counts = [per_slice[(stream, i)] for i in range(len(spans))]
            ideal[path] += sum(math.ceil(n / 100) + 1 if fills else n // 100 + 1 for n in counts)
    return ideal


def main(args: argparse.Namespace, dependencies: Any) -> dict[str, Any]:
    with SandboxProcess(profile()) as sandbox, tempfile.TemporaryDirectory() as tmp:
        sandbox.set_faults(latency_ms=args.latency_ms)
        sandbox.truth_all()  # the sandbox builds its data on first use: not part of the timing
        store = LocalResultsStore(tmp)
        worker = WorkerFunction(dependencies(sandbox, store, args.aws_share))
        share = {"rate_share": 0.5} if args.aws_share else {}
        events = [
            {
                "symbol": unit,
                "execution": "bench-uta",
                "include_fills": True,
                "account_mode": "unified",
                **share,
            }
            for unit in UNITS
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(len(UNITS), thread_name_prefix="map") as pool:
            summaries = list(pool.map(lambda event: worker(event, None), events))
        wall_s = time.perf_counter() - started
        stats = sandbox.stats()
        window = summaries[0]["window"]
        truth = sandbox.truth_all(window["start_ms"], window["end_ms"])
        truth += sandbox.truth_all(window["start_ms"], window["end_ms"], kind="fills")
        got: Counter[tuple[str, str]] = Counter()
        for summary in summaries:
            with store.reader(summary["orders_key"]) as fh:
                got.update((r["stream"], str(record_id(r))) for r in json.load(fh)["orders"])
    expected = {
        (r["stream"], str(r["orderId"] if not is_fill_stream(r["stream"]) else r["execId"])) for r in truth
    }
    ideal = ideal_per_path(truth, Window(window["start_ms"], window["end_ms"]))
    bound_s = max(ideal[path] / ep.PUBLISHED_LIMITS[path] for path in UTA_PATHS)
    requests = sum(stats["endpoints"].get(path, {}).get("requests", 0) for path in UTA_PATHS)
    result = {
        "bench": "worker",
        "shape": "uta",
        "mode": "aws-share" if args.aws_share else "embedded",
        "units": len(UNITS),
        "latency_ms": args.latency_ms,
        "orders": sum(s["orders"] for s in summaries),
        "fills": sum(s.get("fills", 0) for s in summaries),
        "complete": all(s["complete"] for s in summaries),
        "requests": requests,
        "ideal_requests": sum(ideal.values()),
        "requests_by_path": {path: stats["endpoints"].get(path, {}).get("requests", 0) for path in UTA_PATHS},
        "ideal_by_path": {path: ideal[path] for path in UTA_PATHS},
        "wall_s": round(wall_s, 2),
        "bound_path_s": round(bound_s, 2),
        "efficiency_path": round(bound_s / wall_s, 3) if wall_s else math.nan,
        "http_429": stats["http_429"],
        "lost": len(expected - set(got)),
        "duplicated": sum(count - 1 for count in got.values()),
        "unexpected": len(set(got) - expected),
    }
    print(json.dumps(result))
    return result
