"""How a state-machine run of an execution ended, read from its workers' results, and the manifest's record
of its runs.

One execution may take several runs (docs/CONTRACTS.md "Resume"): a worker that stopped with pages left says
`done: false` and why. `cancelled` (a cancel request) makes the execution ABORTED, with what was fetched
aggregated as usual; `deadline` (the run's deadline came first) leaves it RUNNING with `continuation_needed`,
for the service to start the next run; anything else (`stalled`, errors) is aggregated as incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lambda_functions.common.manifest import latest_run_start

CANCELLED = "cancelled"
DEADLINE = "deadline"


def stop_reason(results: Iterable[Any]) -> str | None:
    """`cancelled` when any worker was cancelled, else `deadline` when any stopped at the deadline, else None."""
    reasons = {item.get("reason") for item in results if isinstance(item, dict) and item.get("done") is False}
    for reason in (CANCELLED, DEADLINE):
        if reason in reasons:
            return reason
    return None


def pending_symbols(results: Iterable[Any]) -> list[str]:
    """The symbols whose worker stopped at the deadline (for the log and the run's answer)."""
    return [
        str(item.get("symbol"))
        for item in results
        if isinstance(item, dict) and item.get("done") is False and item.get("reason") == DEADLINE
    ]


def close_run(manifest: dict[str, Any], run_arn: str | None, stopped_at: str) -> dict[str, Any]:
    """The manifest with its latest run ended at `stopped_at`, and its exact ARN: the coordinator records a
    predicted one (an EXPRESS run's ARN ends in a run id known only once started); this run's is
    $$.Execution.Id, which names the run."""
    runs = manifest.get("runs")
    if not isinstance(runs, list) or not runs or not isinstance(runs[-1], dict):
        return manifest
    latest = dict(runs[-1])
    if run_arn and latest.get("name") and str(latest["name"]) in run_arn.split(":"):
        latest["run_arn"] = run_arn
    latest["stopped_at"] = stopped_at
    return manifest | {"runs": [*runs[:-1], latest]}


def busy_seconds(manifest: dict[str, Any] | None, now_s: float) -> float | None:
    """The execution's time across its runs: the earlier runs' (`busy_s`, summed at each resume) plus this
    run's so far. None when the manifest does not say when this run started."""
    manifest = manifest or {}
    started = latest_run_start(manifest)
    if started is None:
        return None
    earlier = manifest.get("busy_s")
    earlier_s = float(earlier) if isinstance(earlier, int | float) and not isinstance(earlier, bool) else 0.0
    return earlier_s + max(0.0, now_s - started.timestamp())
