"""Worker benchmark: the extraction against the rate-limited sandbox, compared with the rate-limit bound.

Shapes:
- `light`: 20 symbols of the bench profile through MaxConcurrency (default 5) parallel workers, as the Map runs
  them;
- `heavy`: one symbol with about 200,000 orders across its streams (one worker);
- `uta`: a unified account read whole, orders and fills, against the v3 limits (bench/worker_uta.py).

The sandbox runs in its own process (bench/sandbox_process.py) with Bitget's rate limits enforced and 50 ms of
latency. Embedded mode (the default) shares one rate limiter between all workers, as the service does;
`--aws-share` gives each worker its own limiter at the share the coordinator computes for AWS
(1 / min(symbols, MaxConcurrency)), since Lambdas share no memory.

Figures (one JSON line):
- ideal_requests: the fewest history requests a complete extraction needs: per query ceil(orders / 100) + 1
  (the empty page that proves the end); a probe answered "unknown symbol" needs 1; a market the symbol's name
  rules out needs 0. `requests` is what the sandbox received on the history paths: every extra one counts;
- bound_path_s: per endpoint path (each has its own limit), ideal requests / published limit, the largest;
  efficiency_path = bound_path_s / wall_s;
- http_429 and its share of the requests; peak_rss_mb: the benchmark process's resident memory growth while
  the workers ran (the sandbox's is not in it);
- lost / duplicated / unexpected against the sandbox's ground truth.

    python -m bench worker [--shape light|heavy|uta] [--aws-share] [--latency-ms 50] [--map-max-concurrency 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench import worker_uta
from bench.ideal import HISTORY_PATHS, bound_seconds, ideal_per_path
from bench.sandbox_process import SandboxProcess
from lambda_functions.common.bitget import RateLimiter
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.wiring import Dependencies, build_dependencies

HEAVY_SYMBOL = "BTCUSDT"
HEAVY_PROFILE: dict[str, Any] = {
    "name": "bench-heavy",
    "days": 85,
    "tie_share": 0.05,
    "symbols": [
        {
            "symbol": HEAVY_SYMBOL,
            "orders": {
                "spot_normal": 90_000,
                "spot_tpsl": 10_000,
                "spot_plan": 5_000,
                "USDT-FUTURES": 80_000,
                "USDT-FUTURES_plan": 15_000,
            },
        }
    ],
}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench worker")
    parser.add_argument("--shape", choices=("light", "heavy", "uta"), default="light")
    parser.add_argument("--symbols", type=int, default=20, help="light shape: how many symbols")
    parser.add_argument("--map-max-concurrency", type=int, default=5, help="workers at once (the Map's)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--aws-share", action="store_true", help="a limiter per worker at the AWS share")
    return parser.parse_args(argv)


def _settings(sandbox: SandboxProcess) -> WorkerSettings:
    creds = sandbox.credentials
    return WorkerSettings(
        _env_file=None,
        bitget_base=sandbox.base_url,
        bitget_api_key=SecretStr(creds.api_key),
        bitget_api_secret=SecretStr(creds.api_secret),
        bitget_api_passphrase=SecretStr(creds.passphrase),
        max_execution_time=3600,
    )


def _ideal_per_path(truth: list[dict[str, Any]], detail: dict[str, Any]) -> Counter[str]:
    streams = detail["streams"]
    paged = [name for name, s in streams.items() if not s["not_applicable"]]
    probed = [name for name, s in streams.items() if s["not_applicable"] and s["reason"] != "name_rule"]
    return ideal_per_path(truth, paged, probed)


class PeakRss:
    """Samples this process's resident set size in a thread; `growth_mb` over the value at start."""

    def __init__(self, every_s: float = 0.05) -> None:
        self._every_s = every_s
        self._stop = threading.Event()
        self.start_kb = self.peak_kb = _rss_kb()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.peak_kb = max(self.peak_kb, _rss_kb())

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.start_kb) / 1024


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _dependencies(sandbox: SandboxProcess, store: LocalResultsStore, aws_share: bool) -> Dependencies:
    deps = build_dependencies(_settings(sandbox), store)
    if aws_share:
        return replace(deps, limiters=LimiterPool(lambda share: RateLimiter(share=share)))
    return replace(deps, limiters=LimiterPool.shared(RateLimiter()))  # embedded: one limiter, the account's


def _compare(
    store: LocalResultsStore, sandbox: SandboxProcess, summaries: list[dict[str, Any]]
) -> dict[str, Any]:
    lost = duplicated = unexpected = 0
    ideal: Counter[str] = Counter()
    for summary in summaries:
        detail = store.get_json(summary["detail_key"])
        window = summary["window"]
        truth = sandbox.truth(summary["symbol"], window["start_ms"], window["end_ms"])
        ideal += _ideal_per_path(truth, detail)
        with store.reader(summary["orders_key"]) as fh:
            got = [(o["stream"], o["orderId"]) for o in json.load(fh)["orders"]]
        expected = {(t["stream"], t["orderId"]) for t in truth}
        duplicated += len(got) - len(set(got))
        lost += len(expected - set(got))
        unexpected += len(set(got) - expected)
    return {"lost": lost, "duplicated": duplicated, "unexpected": unexpected, "ideal": ideal}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    if args.shape == "uta":
        return worker_uta.main(args, _dependencies)
    profile: str | dict[str, Any] = HEAVY_PROFILE if args.shape == "heavy" else "bench"
    with SandboxProcess(profile) as sandbox, tempfile.TemporaryDirectory() as tmp:
        sandbox.set_faults(latency_ms=args.latency_ms)
        symbols = [HEAVY_SYMBOL] if args.shape == "heavy" else _bench_symbols(args.symbols)
        for symbol in symbols:
            sandbox.truth(symbol)  # the sandbox builds a symbol's data on first use: not part of the timing
        store = LocalResultsStore(tmp)
        worker = WorkerFunction(_dependencies(sandbox, store, args.aws_share))
        workers = min(len(symbols), args.map_max_concurrency)
        share = 1.0 / workers  # what the coordinator gives each Map item in aws mode
        events = [
            {
                "symbol": symbol,
                "execution": "bench-worker",
                "account_mode": "classic",  # what the coordinator's account check hands every worker
                **({"rate_share": share} if args.aws_share else {}),
            }
            for symbol in symbols
        ]
        with PeakRss() as rss:
            started = time.perf_counter()
            with ThreadPoolExecutor(workers, thread_name_prefix="map") as pool:
                summaries = list(pool.map(lambda event: worker(event, None), events))
            wall_s = time.perf_counter() - started
        stats = sandbox.stats()
        compared = _compare(store, sandbox, summaries)
    return _report(args, symbols, summaries, stats, compared, wall_s, rss.growth_mb)


def _bench_symbols(count: int) -> list[str]:
    profile = json.loads((Path(__file__).parent.parent / "sandbox" / "profiles" / "bench.json").read_text())
    return [spec["symbol"] for spec in profile["symbols"]][:count]


def _report(
    args: argparse.Namespace,
    symbols: list[str],
    summaries: list[dict[str, Any]],
    stats: dict[str, Any],
    compared: dict[str, Any],
    wall_s: float,
    rss_mb: float,
) -> dict[str, Any]:
    ideal: Counter[str] = compared["ideal"]
    requests = sum(stats["endpoints"].get(path, {}).get("requests", 0) for path in HISTORY_PATHS)
    bound_path_s = bound_seconds(ideal)
    result = {
        "bench": "worker",
        "shape": args.shape,
        "mode": "aws-share" if args.aws_share else "embedded",
        "symbols": len(symbols),
        "map_max_concurrency": args.map_max_concurrency,
        "latency_ms": args.latency_ms,
        "orders": sum(s["orders"] for s in summaries),
        "complete": all(s["complete"] for s in summaries),
        "requests": requests,
        "ideal_requests": sum(ideal.values()),
        "retries": sum(s["retries"] for s in summaries),
        "wall_s": round(wall_s, 2),
        "bound_path_s": round(bound_path_s, 2),
        "efficiency_path": round(bound_path_s / wall_s, 3),
        "http_429": stats["http_429"],
        "http_429_share": round(stats["http_429"] / max(1, stats["requests"]), 4),
        "peak_rss_mb": round(rss_mb, 1),
        "lost": compared["lost"],
        "duplicated": compared["duplicated"],
        "unexpected": compared["unexpected"],
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
