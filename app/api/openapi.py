"""The OpenAPI document as /docs and /redoc show it: the description and tags of openapi_text.py, and every
`description` made safe for Markdown renderers.

Swagger UI and ReDoc render descriptions as Markdown with HTML allowed, so `<region>` in
`arn:aws:states:<region>:...` is taken for an HTML tag and vanishes. Outside code spans, `<` and `>` around a
placeholder are written as `&lt;` / `&gt;` (which both renderers show as `<` / `>`); inside backticks they are
already shown as written, and left alone.

The document is rebuilt once an hour rather than once per process: some request examples are relative to now
(a window inside Bitget's last 90 days) and must stay valid on a service that runs for months.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.api.openapi_text import DESCRIPTION, TAGS

REBUILD_AFTER_S = 3600.0
# a fenced block, or an inline code span (one or more backticks, matched by the same number)
_CODE = re.compile(r"```.*?```|(`+)(?:(?!\1).)+?\1", re.DOTALL)
_PLACEHOLDER = re.compile(r"<([A-Za-z_][^<>\n]{0,99})>")  # a letter after "<", as an HTML tag has


def escape_placeholders(text: str) -> str:
    """`<name>` outside code spans becomes `&lt;name&gt;`; code spans and fenced blocks are kept as written."""
    out: list[str] = []
    position = 0
    for code in _CODE.finditer(text):
        out.append(_PLACEHOLDER.sub(r"&lt;\1&gt;", text[position : code.start()]))
        out.append(code.group(0))
        position = code.end()
    out.append(_PLACEHOLDER.sub(r"&lt;\1&gt;", text[position:]))
    return "".join(out)


def escape_descriptions(node: Any) -> None:
    """Every `description` string in an OpenAPI document, escaped in place (examples are left as they are)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = escape_placeholders(value)
            elif key not in ("example", "examples"):
                escape_descriptions(value)
    elif isinstance(node, list):
        for item in node:
            escape_descriptions(item)


def describe_api(app: FastAPI, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Sets the page's description and tags, and an `app.openapi` that escapes and refreshes the document."""
    app.description = DESCRIPTION
    app.openapi_tags = TAGS
    build = app.openapi  # FastAPI's own generator (it caches in app.openapi_schema)
    built_at = [0.0]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None or clock() - built_at[0] > REBUILD_AFTER_S:
            app.openapi_schema = None
            schema = build()
            escape_descriptions(schema)
            app.openapi_schema, built_at[0] = schema, clock()
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
