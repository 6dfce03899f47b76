"""Reading an execution's manifest (docs/CONTRACTS.md): the coordinator, aggregator and API all need it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore


def read_manifest(store: ResultsStore, prefix: str, execution: str) -> dict[str, Any] | None:
    """The manifest as a dict, or None when it is missing or not a JSON object."""
    try:
        manifest = store.get_json(manifest_key(prefix, execution))
    except ResultNotFoundError:
        return None
    return manifest if isinstance(manifest, dict) else None


def new_manifest(
    execution: str,
    *,
    execution_arn: str | None = "",
    state_machine_arn: str = "",
    symbols: list[Any] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    started_at: str | None = None,
) -> dict[str, Any]:
    """The fields every manifest has, in their order (docs/CONTRACTS.md): RUNNING, nothing stopped or failed yet.

    The coordinator adds the request's echo after them; the aggregator lays what it read over them.
    """
    return {
        "execution": execution,
        "execution_arn": execution_arn,
        "state_machine_arn": state_machine_arn,
        "status": "RUNNING",
        "symbols": symbols if symbols is not None else [],
        "start_ms": start_ms,
        "end_ms": end_ms,
        "started_at": started_at,
        "stopped_at": None,
        "result": None,
        "error": None,
        "cause": None,
    }


def manifest_time(value: Any) -> dt.datetime | None:
    """A manifest timestamp (ISO 8601, `Z` or an offset; naive means UTC) as an aware datetime; None when it is
    missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def run_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's `runs` (one per run after the first), the well-formed entries only."""
    runs = manifest.get("runs")
    return [run for run in runs if isinstance(run, dict)] if isinstance(runs, list) else []


def latest_run_start(manifest: dict[str, Any]) -> dt.datetime | None:
    """When the execution's latest run started: the last of `runs`, else the execution's own start."""
    runs = run_entries(manifest)
    return manifest_time(runs[-1].get("started_at") if runs else manifest.get("started_at"))
