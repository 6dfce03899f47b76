"""The child process of `python -m bench resume`: one worker extraction, invoked until it needs no continuation.

    python -m bench.resume_child RESULTS_DIR EVENT_JSON

Configured through the environment as the worker Lambda is (BITGET_BASE, BITGET_API_KEY / _SECRET /
_PASSPHRASE, MAX_EXECUTION_TIME, CHECKPOINT_INTERVAL_S, WORKER_TMP_DIR, RESULTS_PREFIX); its dependencies are
built as bench/worker.py's embedded mode builds them (one rate limiter at the account's limits), its results
go to a LocalResultsStore at RESULTS_DIR. The handler is invoked again while its result says
`"continue": true`, as the Step Functions loop does; the last result is printed as one JSON line with the
number of invocations. The parent may SIGKILL this process at any time: that is the point.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.wiring import Dependencies, build_dependencies

MAX_INVOCATIONS = 1000  # a worker that keeps asking to continue without end is a bug, not a result


def _dependencies(results_dir: str) -> Dependencies:
    settings = WorkerSettings(_env_file=None)  # the environment the parent set, as on Lambda
    deps = build_dependencies(settings, LocalResultsStore(results_dir))
    return replace(deps, limiters=LimiterPool.shared(RateLimiter()))  # embedded: one limiter, the account's


def run(results_dir: str, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke the handler until its result asks for no continuation; the last result and the invocations."""
    worker = WorkerFunction(_dependencies(results_dir))
    for invocations in range(1, MAX_INVOCATIONS + 1):
        result = worker(event, None)
        if "error" in result:
            raise RuntimeError(f"worker failed: {result['error']}")
        if result.get("continue") is not True:
            return {"result": result, "invocations": invocations}
    raise RuntimeError(f"worker still asked to continue after {MAX_INVOCATIONS} invocations")


def main(argv: list[str]) -> int:
    results_dir, event = argv[0], json.loads(argv[1])
    print(json.dumps(run(results_dir, event)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
