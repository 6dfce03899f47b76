"""Worker memory benchmark: the packaged worker (build/worker.zip) extracting 300,000 orders of one symbol.

The zip is extracted to a temporary directory and its handler imported from there in a child process of its
own (`python -S`: no site-packages; the zip's folder first on sys.path, then this environment's site-packages
only for what the Lambda runtime itself provides, boto3 & co.), configured through the environment as on
Lambda (local results store). Every third-party module the handler loads must come from the zip (else
`foreign_modules` names it). The sandbox runs in its own process (bench/sandbox_process.py) with Bitget's rate
limits enforced; the worker paces itself at the published limits, so the wall time is about the rate-limit
bound: the 300,000 orders are spread over the four history endpoint paths (each has its own limit) so that it
stays near a minute.

Figures (one JSON line):
- peak_rss_mb: the child's peak resident set (VmHWM), what Lambda reports as "Max Memory Used"; target < 200;
- rss_after_import_mb: the same process after importing the handler, before the extraction (the baseline
  measured in this run), and rss_growth_mb = peak - baseline;
- orders / distinct_orders / duplicated / complete: the worker's summary and its orders file (300,000
  expected, every stream complete);
- pyc_files: compiled modules in the zip; foreign_modules: third-party modules not loaded from the zip.

    python -m bench worker_memory [--zip build/worker.zip] [--orders 300000] [--target-mb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.sandbox_process import SandboxProcess

ROOT = Path(__file__).resolve().parents[1]
SYMBOL = "BTCUSDT"
EXECUTION = "bench-worker-memory"
# Shares of the orders per stream, so every history endpoint path needs about the same time at its limit
# (spot history and spot plan 20 req/s, futures history and futures plan 10 req/s).
SHARES = {
    "spot_normal": 0.30,
    "spot_tpsl": 0.03,
    "spot_plan": 0.33,
    "USDT-FUTURES": 0.17,
    "USDT-FUTURES_plan": 0.17,
}

# Runs in the child: import the packaged handler, run one extraction, report memory and where modules came from.
CHILD = r"""
import json, os, sys, time
zip_dir, runtime_site = sys.argv[1], sys.argv[2]
sys.path.insert(0, zip_dir)
sys.path.append(runtime_site)  # boto3 & co.: what the Lambda runtime provides

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

from lambda_functions.worker import app

after_import = status("VmRSS")

class Context:
    function_name = "bench-worker"
    aws_request_id = "bench"
    memory_limit_in_mb = 512
    def __init__(self, seconds):
        self._deadline = time.monotonic() + seconds
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

event = json.loads(sys.argv[3])
started = time.perf_counter()
summary = app.handler(event, Context(900))
seconds = time.perf_counter() - started
runtime = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six")
stdlib_dir = os.path.realpath(os.path.dirname(os.__file__))
foreign = sorted(
    name for name, module in list(sys.modules.items())
    if "." not in name and name not in sys.stdlib_module_names and name not in runtime
    and getattr(module, "__file__", None)
    and not os.path.realpath(module.__file__).startswith((zip_dir, stdlib_dir))
)
print(json.dumps({
    "summary": summary, "seconds": seconds, "rss_after_import_mb": after_import,
    "peak_rss_mb": status("VmHWM"), "foreign_modules": foreign,
}))
"""


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench worker_memory")
    parser.add_argument("--zip", type=Path, default=ROOT / "build" / "worker.zip")
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--target-mb", type=float, default=200.0)
    return parser.parse_args(argv)


def profile(orders: int) -> dict[str, Any]:
    counts = {stream: int(orders * share) for stream, share in SHARES.items()}
    counts["spot_normal"] += orders - sum(counts.values())
    return {
        "name": "bench-worker-memory",
        "days": 85,
        "tie_share": 0.05,
        "symbols": [{"symbol": SYMBOL, "orders": counts}],
    }


def ensure_zip(path: Path) -> None:
    """build/worker.zip as `make package` builds it (built here when missing)."""
    if path.is_file():
        return
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package_lambdas.py"), "--output", str(path.parent),
         "--functions", "worker"],
        check=True,
    )  # fmt: skip


def _count_orders(path: Path) -> tuple[int, int]:
    """(orders, distinct (stream, orderId)) of a per-symbol orders file, streamed."""
    import ijson

    seen: set[tuple[str, str]] = set()
    total = 0
    with path.open("rb") as fh:
        for order in ijson.items(fh, "orders.item"):
            total += 1
            seen.add((str(order.get("stream")), str(order.get("orderId"))))
    return total, len(seen)


def run(args: argparse.Namespace) -> dict[str, Any]:
    ensure_zip(args.zip)
    with (
        tempfile.TemporaryDirectory(prefix="bench-worker-zip-") as unpacked,
        tempfile.TemporaryDirectory(prefix="bench-worker-results-") as results,
        SandboxProcess(profile(args.orders)) as sandbox,
    ):
        with zipfile.ZipFile(args.zip) as archive:
            pyc_files = sum(name.endswith(".pyc") for name in archive.namelist())
            archive.extractall(unpacked)
        now_ms = int(time.time() * 1000)
        sandbox.truth(SYMBOL, now_ms - 1000, now_ms)  # the sandbox builds the symbol's data: not timed
        creds = sandbox.credentials
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda
            "BITGET_BASE": sandbox.base_url,
            "BITGET_API_KEY": creds.api_key,
            "BITGET_API_SECRET": creds.api_secret,
            "BITGET_API_PASSPHRASE": creds.passphrase,
            "RESULTS_STORE": "local",
            "RESULTS_DIR": results,
            "RESULTS_PREFIX": "bitget-results/",
            "MAX_EXECUTION_TIME": "900",
            "WORKER_TMP_DIR": results,
            "LOG_LEVEL": "WARNING",
        }
        event = {"symbol": SYMBOL, "execution": EXECUTION, "account_mode": "classic"}
        runtime_site = sysconfig.get_paths()["purelib"]
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-S", "-c", CHILD, os.path.realpath(unpacked), runtime_site, json.dumps(event)],
            env=env,
            cwd=unpacked,
            capture_output=True,
            text=True,
            check=False,
        )
        wall_s = time.perf_counter() - started
        if child.returncode != 0:
            raise RuntimeError(f"the packaged worker failed:\n{child.stderr[-4000:]}")
        report = json.loads(child.stdout.strip().splitlines()[-1])
        summary = report["summary"]
        orders_file = Path(results) / summary["orders_key"]
        total, distinct = _count_orders(orders_file) if orders_file.is_file() else (0, 0)
    peak = report["peak_rss_mb"]
    result = {
        "bench": "worker_memory",
        "orders_expected": args.orders,
        "orders": summary.get("orders"),
        "distinct_orders": distinct,
        "duplicated": total - distinct,
        "complete": summary.get("complete"),
        "requests": summary.get("requests"),
        "worker_s": round(report["seconds"], 1),
        "wall_s": round(wall_s, 1),
        "rss_after_import_mb": round(report["rss_after_import_mb"], 1),
        "peak_rss_mb": round(peak, 1),
        "rss_growth_mb": round(peak - report["rss_after_import_mb"], 1),
        "target_mb": args.target_mb,
        "zip_kib": args.zip.stat().st_size // 1024,
        "pyc_files": pyc_files,
        "foreign_modules": report["foreign_modules"],
    }
    result["targets_met"] = (
        peak < args.target_mb
        and summary.get("complete") is True
        and distinct == args.orders == summary.get("orders")
        and total == distinct
        and not report["foreign_modules"]
        and pyc_files > 0
    )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    result = run(_args(argv))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
