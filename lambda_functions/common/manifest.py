"""Reading an execution's manifest (docs/CONTRACTS.md): the coordinator, aggregator and API all need it."""

from __future__ import annotations

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
