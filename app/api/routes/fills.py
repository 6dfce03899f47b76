"""GET /accounts/{account_id}/fills[/export] and GET /orders/{execution_arn}/fills[/export]: the fills the
ledger keeps (each execution of an order, with its price and fee), by keyset cursor or as a streamed file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from app.api.params import (
    STREAM_PATTERN,
    AccountId,
    BoundCursor,
    ExecutionArn,
    Format,
    IncludeRaw,
    Side,
    Symbol,
    page_limit,
)
from app.api.read_deps import DatabaseDep
from app.api.responses import EXPORT_RESPONSES, export_response, json_bytes
from app.schemas.fills import FILL_STREAMS, AccountFillsPage, ExecutionFillsPage
from app.schemas.orders import MAX_MS
from app.services.ledger_reads.fill_pages import ExecutionFillFilters, FillFilters

router = APIRouter(tags=["fills"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A cursor that is malformed or was issued for other filters, or start_ms >= end_ms"},
    404: {"description": "Nothing of this account is stored, or the execution is unknown"},
    422: {"description": "A parameter is malformed (an unknown fill stream names the valid ones)"},
}
Stream = Annotated[
    str | None,
    Query(
        pattern=STREAM_PATTERN,
        description="Only this fill stream: spot_fills, USDT-FUTURES_fills, uta_SPOT_fills...",
    ),
]
Limit = Annotated[int, page_limit("Fills per page")]


def _fill_stream(stream: str | None) -> str | None:
    if stream is not None and stream not in FILL_STREAMS:
        raise HTTPException(422, f"unknown fill stream {stream!r}: one of {', '.join(FILL_STREAMS)}")
    return stream


async def fill_filters(  # async: pure validation, no thread hop (read_deps.py)
    account_id: AccountId,
    symbol: Symbol = None,
    stream: Stream = None,
    order_id: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,20}$", description="Only the fills of this order (its orderId)")
    ] = None,
    start_ms: Annotated[
        int | None, Query(ge=0, le=MAX_MS, description="Fills at or after (cTime, ms)")
    ] = None,
    end_ms: Annotated[int | None, Query(ge=0, le=MAX_MS, description="Fills before (cTime, ms)")] = None,
    side: Side = None,
) -> FillFilters:
    # start_ms >= end_ms: InvalidFiltersError, a 400 (app/main.py answers it, as AccountNotFoundError's 404)
    return FillFilters(account_id, symbol, _fill_stream(stream), order_id, start_ms, end_ms, side)


async def execution_fill_filters(
    execution_arn: ExecutionArn, symbol: Symbol = None, stream: Stream = None
) -> ExecutionFillFilters:
    return ExecutionFillFilters(execution_arn, symbol, _fill_stream(stream))


FillFiltersDep = Annotated[FillFilters, Depends(fill_filters)]
ExecutionFillFiltersDep = Annotated[ExecutionFillFilters, Depends(execution_fill_filters)]


@router.get(
    "/accounts/{account_id}/fills",
    response_model=AccountFillsPage,
    summary="The account's distinct fills, newest first, by keyset cursor",
    responses=ERRORS,
)
def get_account_fills(
    filters: FillFiltersDep,
    db: DatabaseDep,
    limit: Limit = 100,
    cursor: BoundCursor = None,
    include_raw: IncludeRaw = False,
) -> Response:
    """One page, newest first by (cTime, tradeId, id); `next_cursor` continues it with the same filters."""
    return json_bytes(
        db.fills.account_fills_json(filters, limit=limit, cursor=cursor, include_raw=include_raw)
    )


@router.get(
    "/accounts/{account_id}/fills/export",
    response_class=StreamingResponse,
    summary="Every matching fill of the account as CSV, NDJSON or Parquet (streamed)",
    responses={**EXPORT_RESPONSES, **ERRORS},
)
def export_account_fills(
    filters: FillFiltersDep, db: DatabaseDep, export_format: Format = "csv"
) -> StreamingResponse:
    """Streams every fill the filters select, newest first, with bounded memory (columns: docs/api.md)."""
    return export_response(db.fills.export_account_fills(filters, export_format))


@router.get(
    "/orders/{execution_arn}/fills",
    response_model=ExecutionFillsPage,
    summary="The fills an execution saw, newest first, by keyset cursor",
    responses=ERRORS,
)
def get_execution_fills(
    filters: ExecutionFillFiltersDep,
    db: DatabaseDep,
    limit: Limit = 100,
    cursor: BoundCursor = None,
    include_raw: IncludeRaw = False,
) -> Response:
    """One page of the execution's fills (saved with its orders); `next_cursor` continues it."""
    return json_bytes(
        db.fills.execution_fills_json(filters, limit=limit, cursor=cursor, include_raw=include_raw)
    )


@router.get(
    "/orders/{execution_arn}/fills/export",
    response_class=StreamingResponse,
    summary="Every fill an execution saw as CSV, NDJSON or Parquet (streamed)",
    responses={**EXPORT_RESPONSES, **ERRORS},
)
def export_execution_fills(
    filters: ExecutionFillFiltersDep, db: DatabaseDep, export_format: Format = "csv"
) -> StreamingResponse:
    """Streams the execution's fills newest first with bounded memory (columns: docs/api.md)."""
    return export_response(db.fills.export_execution_fills(filters, export_format))
