"""Execution status as the results store tells it: the manifest plus per-symbol progress (CONTRACTS.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal

from app.orchestration.base import ExecutionState
from lambda_functions.common.keys import cancel_key, execution_prefix
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.utc import iso_ms

# What a manifest whose status is final reports even when the last state-machine run "succeeded" (the
# aggregator records ABORTED for a cancelled execution; the run itself ends normally).
MANIFEST_WINS = frozenset({"ABORTED"})


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def progress(store: ResultsStore, prefix: str, execution: str, total: int) -> dict[str, int]:
    """Symbols done = per-symbol detail files written so far."""
    keys = store.list_keys(f"{execution_prefix(prefix, execution)}symbols/")
    done = sum(1 for key in keys if key.endswith(".detail.json"))
    return {"symbols_done": min(done, total), "symbols_total": total}


def runs_of(manifest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The manifest's `runs` (one entry per resume: run_arn, started_at, stopped_at), well-formed ones only."""
    runs = (manifest or {}).get("runs")
    if not isinstance(runs, list):
        return []
    return [run for run in runs if isinstance(run, dict) and isinstance(run.get("run_arn"), str)]


def latest_run_arn(manifest: dict[str, Any] | None, execution_arn: str) -> str:
    """The ARN of the execution's latest state-machine run: the last of `runs`, else the original."""
    runs = runs_of(manifest)
    return str(runs[-1]["run_arn"]) if runs else execution_arn


def needs_continuation(manifest: dict[str, Any] | None) -> bool:
    return bool(manifest and manifest.get("status") == "RUNNING" and manifest.get("continuation_needed"))


def state_from_manifest(
    execution_arn: str, manifest: dict[str, Any], progress_counts: dict[str, int]
) -> ExecutionState:
    status = manifest.get("status", "RUNNING")
    done = dict(progress_counts)
    if status == "SUCCEEDED":  # the aggregator may have deleted the per-symbol files: every symbol is done
        done["symbols_done"] = done.get("symbols_total", 0)
    runs = runs_of(manifest)
    return ExecutionState(
        execution_arn=execution_arn,
        status=status,
        start_date=parse_time(manifest.get("started_at")),
        stop_date=parse_time(manifest.get("stopped_at")),
        state_machine_arn=manifest.get("state_machine_arn"),
        # ABORTED: result.json holds what was fetched before the stop, readable as usual
        output=manifest.get("result") if status in ("SUCCEEDED", "ABORTED") else None,
        error=manifest.get("error"),
        cause=manifest.get("cause"),
        progress=done,
        continuation_needed=needs_continuation(manifest),
        run_arn=str(runs[-1]["run_arn"]) if runs else None,
        runs=1 + len(runs),
    )


def overlay_run(
    state: ExecutionState, manifest: dict[str, Any] | None, live: dict[str, Any]
) -> ExecutionState:
    """The state machine's description of the latest run (`live`: status, dates, output, error) laid over the
    manifest's `state`, the same way in both orchestrators. A run that ended at its deadline stays RUNNING (the
    next one is on its way); a final manifest status in MANIFEST_WINS beats the run's own ending."""
    status = live["status"]
    if needs_continuation(manifest):
        status = "RUNNING"
    elif (manifest or {}).get("status") in MANIFEST_WINS and status != "RUNNING":
        status = str((manifest or {})["status"])
    state.status = status
    if not runs_of(manifest) or state.start_date is None:
        state.start_date = live.get("startDate") or state.start_date  # resumed: the first run's start
    state.stop_date = (live.get("stopDate") or state.stop_date) if status != "RUNNING" else None
    state.state_machine_arn = live.get("stateMachineArn") or state.state_machine_arn
    if status == "SUCCEEDED" and state.output is None and live.get("output"):
        state.output = json.loads(live["output"])
    if status not in ("SUCCEEDED", "ABORTED", "RUNNING"):
        state.error = live.get("error") or state.error
        state.cause = live.get("cause") or state.cause
    return state


def failed_manifest(manifest: dict[str, Any], error: str, cause: str, now: dt.datetime) -> dict[str, Any]:
    return manifest | {"status": "FAILED", "stopped_at": iso_ms(now), "error": error, "cause": cause}


def request_cancel(store: ResultsStore, prefix: str, execution: str, now: dt.datetime) -> None:
    """Write cancel.json: the workers see it within seconds and stop at the next page boundary."""
    store.put_json(cancel_key(prefix, execution), {"requested_at": iso_ms(now)})


def continue_execution(resume: Callable[[], object]) -> Literal["resumed"]:
    """Start the next run of an execution with no run going (its manifest RUNNING). A cancel asked meanwhile
    stays in force (a continuation keeps cancel.json): the new run's workers stop at once and its aggregator
    records ABORTED with everything fetched, readable and saved like any result."""
    resume()
    return "resumed"


def arn_belongs_to_manifest(
    execution_arn: str, name: str, manifest: dict[str, Any], machine_arn: str | None = None
) -> bool:
    """True when `execution_arn` is the execution the manifest describes, not a same-name foreign ARN.

    The manifest's recorded `execution_arn` decides; before it is recorded (just after the start), the ARN must
    be one the manifest's state machine (or `machine_arn`) gives that name, standard or express.
    """
    recorded = manifest.get("execution_arn")
    if recorded:
        return bool(execution_arn == recorded)
    machine = str(manifest.get("state_machine_arn") or machine_arn or "")
    if ":stateMachine:" not in machine:
        return False
    standard = machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    express = machine.replace(":stateMachine:", ":express:", 1) + f":{name}:"
    return execution_arn == standard or execution_arn.startswith(express)
