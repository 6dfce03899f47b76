"""Responses the ledger reads hand over ready-made: JSON already encoded (pages: no second validation of 100
order objects) and streamed exports with the file name to save them under.

The routes keep their `response_model` for the OpenAPI page; a returned Response is sent as is.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse

from app.services.ledger_reads.exports import Export

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The orders, streamed: CSV (header line first), NDJSON (one JSON object a line) or "
        'Parquet; `Content-Disposition` names the file. Columns: docs/api.md, "Export columns".',
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def json_bytes(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def export_response(export: Export) -> StreamingResponse:
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", export.filename)
    return StreamingResponse(
        export.body,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
