"""Execution status as the results store tells it: the manifest plus per-symbol progress (CONTRACTS.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.orchestration.base import ExecutionState
from lambda_functions.common.keys import execution_prefix
from lambda_functions.common.results_store import ResultsStore


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def progress(store: ResultsStore, prefix: str, execution: str, total: int) -> dict[str, int]:
    """Symbols done = per-symbol detail files written so far."""
    keys = store.list_keys(f"{execution_prefix(prefix, execution)}symbols/")
    done = sum(1 for key in keys if key.endswith(".detail.json"))
    return {"symbols_done": min(done, total), "symbols_total": total}


def state_from_manifest(
    execution_arn: str, manifest: dict[str, Any], progress_counts: dict[str, int]
) -> ExecutionState:
    status = manifest.get("status", "RUNNING")
    done = dict(progress_counts)
    if status == "SUCCEEDED":  # the aggregator may have deleted the per-symbol files: every symbol is done
        done["symbols_done"] = done.get("symbols_total", 0)
    return ExecutionState(
        execution_arn=execution_arn,
        status=status,
        start_date=parse_time(manifest.get("started_at")),
        stop_date=parse_time(manifest.get("stopped_at")),
        state_machine_arn=manifest.get("state_machine_arn"),
        output=manifest.get("result") if status == "SUCCEEDED" else None,
        error=manifest.get("error"),
        cause=manifest.get("cause"),
        progress=done,
    )


def failed_manifest(manifest: dict[str, Any], error: str, cause: str, now: dt.datetime) -> dict[str, Any]:
    stopped = now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return manifest | {"status": "FAILED", "stopped_at": stopped, "error": error, "cause": cause}


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
