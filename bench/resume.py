"""Resume benchmark: a worker killed halfway through an extraction and started again refetches almost nothing.

One symbol with about 200,000 orders (bench/worker.py's heavy profile; `--quick`: a tenth of it) is extracted
against the sandbox (own process, Bitget's rate limits enforced, 50 ms of latency) by the real worker handler
in a child process (bench/resume_child.py, invoked again while it answers `"continue": true`), all with the
same execution name and the same window (the last 89 days, fixed once):

1. uninterrupted: one child runs the extraction to its end;
2. interrupted: the sandbox is reset (its counters, rate-limit windows and faults), a fresh results directory;
   a child runs until the sandbox has received `--kill-at` (0.5) of the uninterrupted run's history requests,
   then its process group gets SIGKILL: no flush, no goodbye;
3. resumed: `--restart-delay-s` (1 s) later, a new child on the same results directory goes on from the
   symbol's checkpoint to the end. The delay lets the sandbox's 1-second rate window forget the dead child's
   requests (the fresh rate limiter cannot know them; Step Functions retries after 0-2 s); with 0 the resume
   collides with them and a few 429s are counted.

The checkpoint is flushed every CHECKPOINT_INTERVAL_S (2 s by default, lambda_functions/worker/checkpointing.py),
half a second after the shards were asked to seal at their next page: a kill loses about what was fetched
since the last flush (plus that half second), fetched again on resume. That is the cost measured here.

Figures (one JSON line):
- requests_uninterrupted (a), requests_interrupted (b1), requests_resumed (b2): what the sandbox received on
  the history paths (bench/ideal.py's HISTORY_PATHS) in each run; requests_ratio = (b1 + b2) / a, target
  ≤ target_ratio (1.05); refetched = b1 + b2 - a; killed_at_fraction = b1 / a;
- pages_in_checkpoint_at_kill / checkpoint_age_s_at_kill: the pages the last checkpoint written before the kill
  had recorded, and how old it was when the kill came; requests_after_checkpoint = b1 - those pages: what the
  resume must fetch again (the rest of `refetched` is the baseline's own variation, shards split differently
  by timing, and 429s);
- lost / duplicated / unexpected: the resumed run's orders file against the sandbox's ground truth as
  (stream, orderId) pairs (the uninterrupted run's in lost_uninterrupted / duplicated_uninterrupted);
- seconds_*: wall time of each child, interpreter start included; http_429: the sandbox's 429 answers per run
  (already in the requests);
- targets_met: ratio ≤ target, nothing lost or duplicated, both runs complete, the child really killed.

    python -m bench resume [--quick | --orders-scale 1.0] [--latency-ms 50] [--kill-at 0.5]
                           [--checkpoint-interval-s 2] [--restart-delay-s 1]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ideal import HISTORY_PATHS
from bench.sandbox_process import SandboxProcess
from bench.worker import HEAVY_PROFILE, HEAVY_SYMBOL
from lambda_functions.common.keys import checkpoint_key
from lambda_functions.common.timewindow import DAY_MS

EXECUTION = "bench-resume"
PREFIX = "bitget-results/"
WINDOW_DAYS = 89
TARGET_RATIO = 1.05
POLL_S = 0.02
QUICK_SCALE = 0.1
CHILD_TIMEOUT_S = 3600.0


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench resume")
    parser.add_argument("--orders-scale", type=float, default=1.0, help="scale of the heavy profile's orders")
    parser.add_argument("--quick", action="store_true", help=f"--orders-scale {QUICK_SCALE} (a smoke test)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the uninterrupted requests")
    parser.add_argument("--checkpoint-interval-s", type=float, default=2.0)
    parser.add_argument("--max-execution-time", type=float, default=3600.0)
    parser.add_argument("--restart-delay-s", type=float, default=1.0, help="between the kill and the resume")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders_scale = QUICK_SCALE
    return args


def profile(scale: float) -> dict[str, Any]:
    """The heavy profile with every stream's orders scaled."""
    (spec,) = HEAVY_PROFILE["symbols"]
    orders = {stream: max(1, round(count * scale)) for stream, count in spec["orders"].items()}
    return HEAVY_PROFILE | {"name": "bench-resume", "symbols": [spec | {"orders": orders}]}


def history_requests(stats: dict[str, Any]) -> int:
    """Requests the sandbox received on the history paths (bench/worker.py's count)."""
    return sum(stats["endpoints"].get(path, {}).get("requests", 0) for path in HISTORY_PATHS)


@dataclass
class Run:
    """One child: how long it ran, its last result (None when killed) and the sandbox's count meanwhile."""

    seconds: float
    result: dict[str, Any] | None
    requests: int
    http_429: int


class Child:
    """`python -m bench.resume_child` in a session of its own (so SIGKILL reaches its whole group)."""

    def __init__(self, env: dict[str, str], results: Path, event: dict[str, Any], logs: Path) -> None:
        self._stdout = (logs / "stdout").open("w+")
        self._stderr = (logs / "stderr").open("w+")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.resume_child", str(results), json.dumps(event)],
            env=env,
            stdout=self._stdout,
            stderr=self._stderr,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def result(self) -> dict[str, Any]:
        """The child's last line, once it has exited; RuntimeError with its stderr when it failed."""
        self.process.wait(timeout=CHILD_TIMEOUT_S)
        self._stdout.seek(0)
        lines = self._stdout.read().strip().splitlines()
        if self.process.returncode != 0 or not lines:
            self._stderr.seek(0)
            raise RuntimeError(
                f"resume child failed ({self.process.returncode}):\n{self._stderr.read()[-4000:]}"
            )
        return dict(json.loads(lines[-1]))

    def close(self) -> None:
        self.kill()
        self._stdout.close()
        self._stderr.close()


@contextmanager
def child(env: dict[str, str], results: Path, event: dict[str, Any], logs: Path) -> Iterator[Child]:
    """A running child, killed (with its group) and its log files closed whatever happens."""
    logs.mkdir(parents=True, exist_ok=True)
    started = Child(env, results, event, logs)
    try:
        yield started
    finally:
        started.close()


def _counts(sandbox: SandboxProcess) -> tuple[int, int]:
    stats = sandbox.stats()
    return history_requests(stats), int(stats["http_429"])


def run_to_end(
    sandbox: SandboxProcess, env: dict[str, str], results: Path, event: dict[str, Any], logs: Path
) -> Run:
    """A child that runs the extraction (from wherever its checkpoint stands) to its end."""
    before, before_429 = _counts(sandbox)
    with child(env, results, event, logs) as proc:
        output = proc.result()
        seconds = time.perf_counter() - proc.started
    after, after_429 = _counts(sandbox)
    return Run(seconds, output, after - before, after_429 - before_429)


def run_until(
    sandbox: SandboxProcess,
    env: dict[str, str],
    results: Path,
    event: dict[str, Any],
    logs: Path,
    kill_after: int,
) -> tuple[Run, float]:
    """A child SIGKILLed once the sandbox received `kill_after` history requests from it; the run and the
    wall-clock time of the kill (time.time())."""
    before, before_429 = _counts(sandbox)
    killed_at = 0.0
    with child(env, results, event, logs) as proc:
        while proc.process.poll() is None:
            if _counts(sandbox)[0] - before >= kill_after:
                proc.kill()
                killed_at = time.time()
                break
            time.sleep(POLL_S)
        seconds = time.perf_counter() - proc.started
        output = None if killed_at else proc.result()
    after, after_429 = _counts(sandbox)
    return Run(seconds, output, after - before, after_429 - before_429), killed_at


def checkpoint_at_kill(results: Path, killed_at: float) -> dict[str, Any]:
    """What the last checkpoint before the kill held: its pages, durable rows, and its age at the kill."""
    path = results / checkpoint_key(PREFIX, EXECUTION, HEAVY_SYMBOL)
    if not killed_at or not path.is_file():
        return {"pages": 0, "rows": 0, "age_s": None}
    doc = json.loads(path.read_text())
    return {
        "pages": sum(int(shard["pages"]) for shard in doc["shards"]),
        "rows": sum(int(segment["rows"]) for segment in doc["segments"]),
        "age_s": round(killed_at - path.stat().st_mtime, 3),
    }


def compare(results: Path, summary: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, int]:
    """The summary's orders file against the ground truth, as (stream, orderId) pairs."""
    with (results / summary["orders_key"]).open("rb") as fh:
        got = [(o["stream"], o["orderId"]) for o in json.load(fh)["orders"]]
    expected = {(t["stream"], t["orderId"]) for t in truth}
    distinct = set(got)
    return {
        "lost": len(expected - distinct),
        "duplicated": len(got) - len(distinct),
        "unexpected": len(distinct - expected),
    }


def child_env(sandbox: SandboxProcess, args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    """The worker's configuration, as the Lambda's environment would give it."""
    creds = sandbox.credentials
    return os.environ | {
        "BITGET_BASE": sandbox.base_url,
        "BITGET_API_KEY": creds.api_key,
        "BITGET_API_SECRET": creds.api_secret,
        "BITGET_API_PASSPHRASE": creds.passphrase,
        "MAX_EXECUTION_TIME": str(args.max_execution_time),
        "CHECKPOINT_INTERVAL_S": str(args.checkpoint_interval_s),
        "WORKER_TMP_DIR": str(tmp),
        "RESULTS_PREFIX": PREFIX,
        "LOG_LEVEL": "WARNING",
    }


def _complete(run: Run) -> bool:
    result = (run.result or {}).get("result") or {}
    return bool(result.get("done") and result.get("complete"))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    with SandboxProcess(profile(args.orders_scale)) as sandbox, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        end_ms = int(time.time() * 1000)
        window = {"start_ms": end_ms - WINDOW_DAYS * DAY_MS, "end_ms": end_ms}
        truth = sandbox.truth(HEAVY_SYMBOL, window["start_ms"], window["end_ms"])  # built here: not timed
        event = {"symbol": HEAVY_SYMBOL, "execution": EXECUTION, "account_mode": "classic", **window}
        (tmp / "parts").mkdir()
        env = child_env(sandbox, args, tmp / "parts")

        sandbox.reset()
        sandbox.set_faults(latency_ms=args.latency_ms)  # reset restores the profile's faults: latency again
        whole_dir = tmp / "uninterrupted"
        whole = run_to_end(sandbox, env, whole_dir, event, tmp / "logs-a")
        whole_cmp = compare(whole_dir, whole.result["result"], truth) if whole.result else {}

        sandbox.reset()
        sandbox.set_faults(latency_ms=args.latency_ms)
        resumed_dir = tmp / "interrupted"
        kill_after = max(1, round(whole.requests * args.kill_at))
        cut, killed_at = run_until(sandbox, env, resumed_dir, event, tmp / "logs-b", kill_after)
        at_kill = checkpoint_at_kill(resumed_dir, killed_at)
        time.sleep(args.restart_delay_s)
        rest = run_to_end(sandbox, env, resumed_dir, event, tmp / "logs-c")
        rest_cmp = compare(resumed_dir, rest.result["result"], truth) if rest.result else {}
    return _report(args, truth, whole, whole_cmp, cut, bool(killed_at), at_kill, rest, rest_cmp)


def _report(
    args: argparse.Namespace,
    truth: list[dict[str, Any]],
    whole: Run,
    whole_cmp: dict[str, int],
    cut: Run,
    killed: bool,
    at_kill: dict[str, Any],
    rest: Run,
    rest_cmp: dict[str, int],
) -> dict[str, Any]:
    a, b1, b2 = whole.requests, cut.requests, rest.requests
    ratio = round((b1 + b2) / max(1, a), 4)
    result = {
        "bench": "resume",
        "orders": len(truth),
        "orders_scale": args.orders_scale,
        "latency_ms": args.latency_ms,
        "requests_uninterrupted": a,
        "requests_interrupted": b1,
        "requests_resumed": b2,
        "requests_ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "refetched": b1 + b2 - a,
        "killed": killed,
        "killed_at_fraction": round(b1 / max(1, a), 3),
        "pages_in_checkpoint_at_kill": at_kill["pages"],
        "requests_after_checkpoint": b1 - at_kill["pages"],
        "rows_in_checkpoint_at_kill": at_kill["rows"],
        "checkpoint_age_s_at_kill": at_kill["age_s"],
        "invocations_resumed": (rest.result or {}).get("invocations"),
        "complete": _complete(whole) and _complete(rest),
        "lost": rest_cmp.get("lost"),
        "duplicated": rest_cmp.get("duplicated"),
        "unexpected": rest_cmp.get("unexpected"),
        "lost_uninterrupted": whole_cmp.get("lost"),
        "duplicated_uninterrupted": whole_cmp.get("duplicated"),
        "http_429": {"uninterrupted": whole.http_429, "interrupted": cut.http_429, "resumed": rest.http_429},
        "seconds_uninterrupted": round(whole.seconds, 2),
        "seconds_interrupted": round(cut.seconds, 2),
        "seconds_resumed": round(rest.seconds, 2),
        "checkpoint_interval_s": args.checkpoint_interval_s,
    }
    result["targets_met"] = (
        ratio <= TARGET_RATIO
        and killed
        and result["complete"]
        and rest_cmp.get("lost") == rest_cmp.get("duplicated") == rest_cmp.get("unexpected") == 0
        and whole_cmp.get("lost") == whole_cmp.get("duplicated") == 0
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
