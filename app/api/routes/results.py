"""GET /results/{key}: the local results store's files (embedded mode), streamed; S3 serves its own.

Only keys under RESULTS_PREFIX are served, with no path traversal. A key the filesystem could not even look up
(a NUL byte, a control character, a name longer than 255 bytes) is a 400 naming the problem, never a 500; a key
is quoted back cut to a short prefix.
"""

from __future__ import annotations

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
    try:
        path = store.local_file(key)
    except ValueError:  # named again below: what is wrong with it decides the message
        path, refused = None, True
    else:
        refused = False
    if path is None and not refused:
        raise HTTPException(404, "results are served by S3 in this deployment (RESULTS_STORE=s3)")
    _check_key(key)
    if refused or path is None or not key.startswith(settings.results_prefix):
        raise HTTPException(
            400, f"invalid results key: only files under {settings.results_prefix} are served"
        )
    try:
        found = path.is_file()
    except (OSError, ValueError):  # a name the filesystem refuses (e.g. not encodable): nothing is there
        found = False
    if not found:
        raise HTTPException(404, f"no results file at {_quoted(key)}")
    return FileResponse(path, media_type="application/json")


def _quoted(key: str) -> str:
    return key if len(key) <= QUOTED_CHARS else f"{key[:QUOTED_CHARS]}... ({len(key)} characters)"


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
