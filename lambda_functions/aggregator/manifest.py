"""The execution manifest's final states: SUCCEEDED (with the response) and FAILED (with error and cause).

The coordinator writes the RUNNING manifest; here it is read, modified and written back whole, so the fields
the coordinator set (started_at, symbols, window, ARNs) survive. A missing manifest is rebuilt from
what is known.
"""

from __future__ import annotations

from typing import Any

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultsStore

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
MAX_CAUSE_CHARS = 4000  # a Lambda stack trace can be long; the manifest stays small


def _base(existing: dict[str, Any] | None, execution: str) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "execution": execution,
        "execution_arn": "",
        "state_machine_arn": "",
        "status": "RUNNING",
        "symbols": [],
        "start_ms": None,
        "end_ms": None,
        "started_at": None,
        "stopped_at": None,
        "result": None,
        "error": None,
        "cause": None,
    }
    manifest.update(existing or {})
    return manifest


def write_succeeded(
    store: ResultsStore,
    prefix: str,
    execution: str,
    existing: dict[str, Any] | None,
    result: dict,
    stopped_at: str,
) -> dict[str, Any]:
    manifest = _base(existing, execution)
    manifest.update(status=SUCCEEDED, stopped_at=stopped_at, result=result, error=None, cause=None)
    store.put_json(manifest_key(prefix, execution), manifest)
    return manifest


def write_failed(
    store: ResultsStore, prefix: str, execution: str, error: str, cause: str, stopped_at: str
) -> dict[str, Any]:
    manifest = _base(read_manifest(store, prefix, execution), execution)
    manifest.update(status=FAILED, stopped_at=stopped_at, error=error[:200], cause=cause[:MAX_CAUSE_CHARS])
    store.put_json(manifest_key(prefix, execution), manifest)
    return manifest
