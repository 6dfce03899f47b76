"""The execution manifest's states written here: SUCCEEDED (with the response), ABORTED (a cancelled execution,
with the response over what was fetched), FAILED (with error and cause), and RUNNING with `continuation_needed`
(the run stopped at its deadline; the service starts the next one).

The coordinator writes the RUNNING manifest; here it is read, modified and written back whole, so the fields
the coordinator set (started_at, symbols, window, ARNs) survive. A missing manifest is rebuilt from
what is known.
"""

from __future__ import annotations

from typing import Any

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.manifest import new_manifest, read_manifest
from lambda_functions.common.results_store import ResultsStore

SUCCEEDED = "SUCCEEDED"
ABORTED = "ABORTED"
FAILED = "FAILED"
CANCELLED_ERROR = "Cancelled"
CANCELLED_CAUSE = "cancelled by POST /orders/{arn}/cancel; what was fetched before the stop is in the result"
MAX_CAUSE_CHARS = 4000  # a Lambda stack trace can be long; the manifest stays small


def _base(existing: dict[str, Any] | None, execution: str) -> dict[str, Any]:
    manifest = new_manifest(execution)
    manifest.update(existing or {})
    return manifest


def write_succeeded(
    store: ResultsStore,
    prefix: str,
    execution: str,
    existing: dict[str, Any] | None,
    result: dict,
    stopped_at: str,
    *,
    aborted: bool = False,
) -> dict[str, Any]:
    """SUCCEEDED, or with `aborted` ABORTED (a cancel request stopped the workers): the result either way."""
    manifest = _base(existing, execution)
    error, cause = (CANCELLED_ERROR, CANCELLED_CAUSE) if aborted else (None, None)
    status = ABORTED if aborted else SUCCEEDED
    manifest.update(status=status, stopped_at=stopped_at, result=result, error=error, cause=cause)
    manifest.update(continuation_needed=False, run_stopped_at=None)
    store.put_json(manifest_key(prefix, execution), manifest)
    return manifest


def write_continuation(
    store: ResultsStore, prefix: str, execution: str, existing: dict[str, Any] | None, stopped_at: str
) -> dict[str, Any]:
    """RUNNING with `continuation_needed`: this run ended at its deadline with work left."""
    manifest = _base(existing, execution)
    manifest.update(status="RUNNING", continuation_needed=True, run_stopped_at=stopped_at)
    store.put_json(manifest_key(prefix, execution), manifest)
    return manifest


def write_failed(
    store: ResultsStore, prefix: str, execution: str, error: str, cause: str, stopped_at: str
) -> dict[str, Any]:
    manifest = _base(read_manifest(store, prefix, execution), execution)
    manifest.update(status=FAILED, stopped_at=stopped_at, error=error[:200], cause=cause[:MAX_CAUSE_CHARS])
    store.put_json(manifest_key(prefix, execution), manifest)
    return manifest
