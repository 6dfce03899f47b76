"""GET /results/{key}: the local results store's files (embedded mode), streamed; S3 serves its own.

Only keys under RESULTS_PREFIX are served, with no path traversal. A key the filesystem could not even look up
(a NUL byte, a control character, a name longer than 255 bytes) is a 400 naming the problem, never a 500; a key
is quoted back cut to a short prefix.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.api.deps import ResultsStoreDep, SettingsDep

router = APIRouter(tags=["results"])
MAX_KEY_CHARS = 1024  # S3's own limit on a key
MAX_NAME_BYTES = 255  # a file name on every common filesystem
QUOTED_CHARS = 120


@router.get(
    "/results/{key:path}",
    summary="Download a results file (local results store only)",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/json": {}}, "description": "The JSON document, streamed"},
        400: {"description": "The key is outside the results prefix, too long, or holds a control character"},
        404: {"description": "No such results file"},
    },
)
def get_result_file(key: str, store: ResultsStoreDep, settings: SettingsDep) -> FileResponse:
    """Serves `s3_data_url` in embedded mode; only keys under `RESULTS_PREFIX`, no path traversal."""
    root = getattr(store, "root", None)
    if root is None:
        raise HTTPException(404, "results are served by S3 in this deployment (RESULTS_STORE=s3)")
    path = _resolve(Path(root), key, settings.results_prefix)
    try:
        found = path.is_file()
    except (OSError, ValueError):  # a name the filesystem refuses (e.g. not encodable): nothing is there
        found = False
    if not found:
        raise HTTPException(404, f"no results file at {_quoted(key)}")
    return FileResponse(path, media_type="application/json")


def _quoted(key: str) -> str:
    return key if len(key) <= QUOTED_CHARS else f"{key[:QUOTED_CHARS]}... ({len(key)} characters)"


def _resolve(root: Path, key: str, prefix: str) -> Path:
    _check_key(key)
    invalid = f"invalid results key: only files under {prefix} are served"
    parts = key.split("/")
    if not key.startswith(prefix) or ".." in parts or "" in parts[:-1] or key.startswith("/"):
        raise HTTPException(400, invalid)
    try:
        path = (root / key).resolve()
    except (OSError, ValueError):
        raise HTTPException(400, invalid) from None
    if not path.is_relative_to(root.resolve()) or path.name.startswith("."):
        raise HTTPException(400, invalid)
    return path


def _check_key(key: str) -> None:
    """400 for what no results file can be named: control characters, over-long names and keys."""
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise HTTPException(
            400, "invalid results key: control characters (such as a NUL byte) are not allowed"
        )
    if len(key) > MAX_KEY_CHARS:
        raise HTTPException(400, f"invalid results key: {len(key)} characters (at most {MAX_KEY_CHARS})")
    longest = max(len(part.encode("utf-8", "surrogatepass")) for part in key.split("/"))
    if longest > MAX_NAME_BYTES:
        raise HTTPException(
            400, f"invalid results key: a name of {longest} bytes (at most {MAX_NAME_BYTES} between slashes)"
        )
