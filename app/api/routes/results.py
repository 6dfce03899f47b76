"""GET /results/{key}: the local results store's files (embedded mode), streamed; S3 serves its own."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.api.deps import ResultsStoreDep, SettingsDep

router = APIRouter(tags=["results"])


@router.get(
    "/results/{key:path}",
    summary="Download a results file (local results store only)",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/json": {}}, "description": "The JSON document, streamed"},
        400: {"description": "The key is outside the results prefix"},
        404: {"description": "No such results file"},
    },
)
def get_result_file(key: str, store: ResultsStoreDep, settings: SettingsDep) -> FileResponse:
    """Serves `s3_data_url` in embedded mode; only keys under RESULTS_PREFIX, no path traversal."""
    root = getattr(store, "root", None)
    if root is None:
        raise HTTPException(404, "results are served by S3 in this deployment (RESULTS_STORE=s3)")
    path = _resolve(Path(root), key, settings.results_prefix)
    if not path.is_file():
        raise HTTPException(404, f"no results file at {key}")
    return FileResponse(path, media_type="application/json")


def _resolve(root: Path, key: str, prefix: str) -> Path:
    parts = key.split("/")
    if not key.startswith(prefix) or ".." in parts or "" in parts[:-1] or key.startswith("/"):
        raise HTTPException(400, f"invalid results key: only files under {prefix} are served")
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()) or path.name.startswith("."):
        raise HTTPException(400, f"invalid results key: only files under {prefix} are served")
    return path
