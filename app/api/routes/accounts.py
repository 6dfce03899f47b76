"""GET /accounts, GET /accounts/{account_id}, GET /accounts/{account_id}/orders[/export]: the ledger's reads
(POST /accounts/{account_id}/sync is in account_sync.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from app.api.deps import RuntimeDep
from app.api.params import (
    AccountId,
    BoundCursor,
    Format,
    IncludeRaw,
    OrderStream,
    Side,
    Symbol,
    page_limit,
)
from app.api.read_deps import DatabaseDep
from app.api.responses import EXPORT_RESPONSES, export_response, json_bytes
from app.schemas.accounts import AccountList, AccountOrdersPage, AccountSummary
from app.schemas.orders import MAX_MS
from app.services.account_sync import sync_info
from app.services.ledger_reads.account_pages import AccountFilters
from app.services.ledger_reads.summaries import AccountNotFoundError

router = APIRouter(prefix="/accounts", tags=["accounts"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A cursor that is malformed or was issued for other filters, or start_ms >= end_ms"},
    404: {"description": "No order, execution or coverage of this account is stored"},
    422: {"description": "A parameter is malformed; `detail` names it"},
}


async def account_filters(  # async: pure validation, no thread hop (read_deps.py)
    account_id: AccountId,
    symbol: Symbol = None,
    stream: OrderStream = None,
    start_ms: Annotated[
        int | None, Query(ge=0, le=MAX_MS, description="Orders created at or after (cTime, ms)")
    ] = None,
    end_ms: Annotated[
        int | None, Query(ge=0, le=MAX_MS, description="Orders created before (cTime, ms)")
    ] = None,
    side: Side = None,
    status: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z_]{1,32}$", description="Bitget's status as stored (filled, cancelled, live...)"
        ),
    ] = None,
) -> AccountFilters:
    # start_ms >= end_ms: InvalidFiltersError, a 400 (app/main.py answers it, as AccountNotFoundError's 404)
    return AccountFilters(account_id, symbol, stream, start_ms, end_ms, side, status)


FiltersDep = Annotated[AccountFilters, Depends(account_filters)]


@router.get("", response_model=AccountList, summary="Accounts stored: orders, streams, last extraction")
def list_accounts(db: DatabaseDep) -> AccountList:
    """Every account the ledger or the executions know, with its distinct orders per stream."""
    return db.orders.list_accounts()


@router.get(
    "/{account_id}",
    response_model=AccountSummary,
    summary="An account per stream: orders stored, time covered by complete extractions, gaps",
    responses={404: ERRORS[404], 422: ERRORS[422]},
)
def get_account(account_id: AccountId, db: DatabaseDep, runtime: RuntimeDep) -> AccountSummary:
    """Per stream: orders stored, the ranges complete extractions covered, the gaps up to now (those older
    than Bitget's 90-day retention marked `recoverable: false`), and the last extraction; `sync`: where the
    incremental sync left each stream, when the next is due (SYNC_INTERVAL_MINUTES) and a `warning` when it
    would come too late for Bitget's retention. "Now" is Bitget's clock."""
    now_ms = runtime.exchange_clock().now_ms()
    try:
        summary = db.orders.account_summary(account_id, now_ms=now_ms)
    except AccountNotFoundError as exc:  # said here too: the web page calls this handler (app/ui/pages.py)
        raise HTTPException(404, str(exc)) from None
    settings = runtime.settings
    interval = settings.sync_interval_minutes or None
    summary.sync = sync_info(runtime.store, settings.results_prefix, account_id, now_ms, interval)
    return summary


@router.get(
    "/{account_id}/orders",
    response_model=AccountOrdersPage,
    summary="The account's distinct orders, newest first, by keyset cursor",
    responses=ERRORS,
)
def get_account_orders(
    filters: FiltersDep,
    db: DatabaseDep,
    limit: Annotated[int, page_limit("Orders per page")] = 100,
    cursor: BoundCursor = None,
    include_raw: IncludeRaw = False,
) -> Response:
    """One page, newest first by (cTime, orderId, id); `next_cursor` continues it."""
    return json_bytes(
        db.orders.account_orders_json(filters, limit=limit, cursor=cursor, include_raw=include_raw)
    )


@router.get(
    "/{account_id}/orders/export",
    response_class=StreamingResponse,
    summary="Every matching order of the account as CSV, NDJSON or Parquet (streamed)",
    responses={**EXPORT_RESPONSES, **ERRORS},
)
def export_account_orders(
    filters: FiltersDep,
    db: DatabaseDep,
    export_format: Format = "csv",
) -> StreamingResponse:
    """Streams every order the filters select, newest first, with bounded memory."""
    return export_response(db.orders.export_account(filters, export_format))
