"""The path and query parameters the read routes share (accounts, orders, fills): one declaration each, so a
parameter has the same rule and the same description wherever it appears on the OpenAPI page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query

from app.schemas.accounts import ACCOUNT_ID_PATTERN, EXAMPLE_ACCOUNT
from app.schemas.orders import EXAMPLE_ARN, EXECUTION_ARN_PATTERN
from lambda_functions.common.bitget.pages import MAX_PAGE_LIMIT
from lambda_functions.common.symbols import SYMBOL_PATTERN

STREAM_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"

AccountId = Annotated[
    str,
    Path(
        pattern=ACCOUNT_ID_PATTERN,
        description="Bitget's userId (GET /accounts lists them)",
        examples=[EXAMPLE_ACCOUNT],
    ),
]
ExecutionArn = Annotated[
    str,
    Path(
        pattern=EXECUTION_ARN_PATTERN,
        max_length=256,
        description="arn:aws:states:<region>:<account>:execution:<state machine>:<name>, or for EXPRESS "
        "arn:aws:states:<region>:<account>:express:<state machine>:<name>:<run id>",
        examples=[EXAMPLE_ARN],
    ),
]
Symbol = Annotated[str | None, Query(pattern=SYMBOL_PATTERN, description="Only this symbol")]
OrderStream = Annotated[
    str | None,
    Query(pattern=STREAM_PATTERN, description="Only this stream (spot_normal, USDT-FUTURES...)"),
]
Side = Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$", description="buy | sell")]
# Keyset pages whose cursor is bound to their filters (an account's orders and fills, an execution's fills).
BoundCursor = Annotated[
    str | None,
    Query(
        max_length=512,
        description="`next_cursor` of the previous page (same filters): same cost at any depth",
    ),
]


def page_limit(what: str) -> Any:
    """A list route's `limit` query: 1 to MAX_PAGE_LIMIT, the same maximum as one Bitget history page."""
    return Query(ge=1, le=MAX_PAGE_LIMIT, description=f"{what} (max {MAX_PAGE_LIMIT})")


IncludeRaw = Annotated[bool, Query(description="Add `raw`: every field Bitget sent")]
Format = Annotated[
    Literal["csv", "ndjson", "parquet"], Query(alias="format", description="csv | ndjson | parquet")
]
