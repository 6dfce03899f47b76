"""POST /orders, GET /orders/list, GET /orders/{execution_arn}[/database|/export], POST .../save-from-url,
POST .../cancel, POST .../resume, DELETE /orders/{execution_arn}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from app.api.deps import ExecutionControlDep, OrdersServiceDep
from app.api.params import ExecutionArn, Format, OrderStream, Symbol, page_limit
from app.api.read_deps import OrdersReadDep
from app.api.responses import EXPORT_RESPONSES, export_response, json_bytes
from app.orchestration.base import ExtractionOptions
from app.schemas.orders import (
    CancelResponse,
    DeleteExecutionResponse,
    ExecutionListResponse,
    ExecutionStatusResponse,
    OrdersPageResponse,
    OrdersRequest,
    OrdersStartedResponse,
    ResumeResponse,
    SaveFromUrlResponse,
)
from app.schemas.progress import ProgressResponse
from app.services.ledger_reads.execution_pages import PageQuery

router = APIRouter(prefix="/orders", tags=["orders"])
MAX_SKIP = 10_000_000  # beyond any real page; keeps the offset inside every database's integer range

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request cannot be served as given; `detail` says why"},
    404: {"description": "Unknown execution"},
    422: {"description": "A parameter is malformed; `detail` names it"},
}
ACCOUNT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request cannot be served as given; `detail` says why. Nothing was started."},
    401: {
        "description": "Bitget refused the API credentials (`problem: credentials`, codes 40001-40012, 40036, "
        "40037): `detail`, `bitget_code` and `bitget_message` name it. Nothing was started."
    },
    403: {
        "description": "Bitget refused this key here: IP not whitelisted (`ip_not_allowed`, 40018) or a "
        "permission missing (`permission_missing`, 40014). Nothing was started."
    },
    502: {"description": "The orchestration could not start the execution"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrdersStartedResponse,
    summary="Start extracting the order history of some symbols",
    responses={**ACCOUNT_ERRORS, 422: ERRORS[422]},
)
def start_orders(body: OrdersRequest, orders: OrdersServiceDep) -> OrdersStartedResponse:
    """Checks the Bitget account, then starts one execution (1..MAX_SYMBOLS symbols, or without `symbols` the
    whole account; `"since": "last_sync"` an incremental sync of it), saved in the database at once; the answer
    echoes the window used (clamped to now and to the 90-day retention) and the options."""
    options = ExtractionOptions(
        body.include_plan_orders,
        body.include_simulation,
        include_fills=body.include_fills,
        since=body.since,
        spot_plan_symbols=body.spot_plan_symbols,
    )
    return orders.start(body.symbol_list(), body.start_ms, body.end_ms, options)


@router.get("/list", response_model=ExecutionListResponse, summary="Executions saved, newest first")
def list_orders(
    orders: OrdersServiceDep,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="Executions to skip")] = 0,
    limit: Annotated[int, page_limit("Executions to return")] = 50,
) -> ExecutionListResponse:
    """Every execution in the database, newest first, paginated."""
    return orders.list_executions(skip, limit).response()


@router.get(
    "/{execution_arn}",
    response_model=ExecutionStatusResponse,
    response_model_exclude_none=True,
    summary="Status of an execution; saves its orders to the database once it succeeded",
    responses={404: ERRORS[404], 422: ERRORS[422]},
)
def get_order_status(execution_arn: ExecutionArn, orders: OrdersServiceDep) -> ExecutionStatusResponse:
    """RUNNING with progress, SUCCEEDED with result and database_info, or the failure's cause."""
    return orders.status(execution_arn)


@router.get(
    "/{execution_arn}/progress",
    response_model=ProgressResponse,
    summary="Progress per symbol and stream, from the workers' checkpoints",
    responses={404: ERRORS[404], 422: ERRORS[422]},
)
def get_progress(execution_arn: ExecutionArn, orders: OrdersServiceDep) -> ProgressResponse:
    """Per symbol: records kept, requests, retries, 429s, whether it finished (and complete), and per stream its
    pages, records and state (open, complete, or why a shard ended). The checkpoints stay until the execution is
    deleted or its results expire, so this answers after the end too (the CLI's and web page's live view)."""
    return orders.known_progress(execution_arn).response()


@router.get(
    "/{execution_arn}/database",
    response_model=OrdersPageResponse,
    summary="Orders saved for an execution, newest first",
    responses=ERRORS,
)
def get_saved_orders(
    execution_arn: ExecutionArn,
    orders: OrdersReadDep,
    skip: Annotated[
        int, Query(ge=0, le=MAX_SKIP, description="Orders to skip (offset paging; deep pages: use `cursor`)")
    ] = 0,
    limit: Annotated[int, page_limit("Orders per page")] = 10,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` of the previous page: same cost at any depth"),
    ] = None,
    symbol: Symbol = None,
    stream: OrderStream = None,
    include_raw: Annotated[
        bool, Query(description="Include `raw` (every field Bitget sent); false makes pages ~5x smaller")
    ] = True,
) -> Response:
    """One page of the saved orders, by offset (skip/limit) or by cursor, optionally filtered."""
    query = PageQuery(skip, limit, cursor, symbol, stream, include_raw)
    return json_bytes(
        orders.db.orders.orders_page_json(execution_arn, query, refresh=orders.refresh_unfinished)
    )


@router.get(
    "/{execution_arn}/export",
    response_class=StreamingResponse,
    summary="Every saved order of an execution as CSV, NDJSON or Parquet (streamed)",
    responses={**EXPORT_RESPONSES, **ERRORS},
)
def export_saved_orders(
    execution_arn: ExecutionArn,
    orders: OrdersReadDep,
    export_format: Format = "csv",
    symbol: Symbol = None,
    stream: OrderStream = None,
) -> StreamingResponse:
    """Streams the execution's orders newest first with bounded memory (columns: docs/api.md)."""
    export = orders.db.orders.export_execution(execution_arn, export_format, symbol=symbol, stream=stream)
    return export_response(export)


@router.post(
    "/{execution_arn}/save-from-url",
    response_model=SaveFromUrlResponse,
    summary="Save an execution's results from its results URL",
    responses=ERRORS,
)
def save_from_url(
    execution_arn: ExecutionArn,
    orders: OrdersServiceDep,
    public_url: Annotated[
        str,
        Query(
            min_length=1,
            max_length=4096,
            description="This execution's results URL (its `s3_data_url`); others are refused",
        ),
    ],
) -> SaveFromUrlResponse:
    """Reads the results through the results store (never fetching a foreign URL) and saves them once."""
    return orders.save_from_url(execution_arn, public_url)


@router.post(
    "/{execution_arn}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CancelResponse,
    summary="Stop a running execution; what was fetched stays readable",
    responses={
        404: ERRORS[404],
        409: {"description": "The execution is not RUNNING (it already ended); nothing was changed"},
        422: ERRORS[422],
        502: {"description": "The orchestrator could not be asked for the execution's status"},
    },
)
def cancel_execution(execution_arn: ExecutionArn, control: ExecutionControlDep) -> CancelResponse:
    """Asks the workers to stop (they stop at the next page, within seconds); the execution then reads ABORTED,
    with the orders fetched until then in its result.json and, once saved, in the database."""
    return control.cancel(execution_arn)


@router.post(
    "/{execution_arn}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResumeResponse,
    summary="Resume a stopped execution from its checkpoints, under the same ARN",
    responses={
        404: ERRORS[404],
        409: {
            "description": "The execution is RUNNING, or SUCCEEDED and complete, or being deleted; nothing "
            "was started"
        },
        422: ERRORS[422],
        502: {"description": "The orchestration could not resume the execution"},
    },
)
def resume_execution(execution_arn: ExecutionArn, control: ExecutionControlDep) -> ResumeResponse:
    """Starts a new run of a FAILED, TIMED_OUT, ABORTED or incomplete SUCCEEDED execution: every symbol goes on
    from its checkpoint (nothing durable is fetched again) and the shards that failed are re-opened. The
    execution reads RUNNING again under its original ARN, and its orders are saved again when it ends."""
    return control.resume(execution_arn)


@router.delete(
    "/{execution_arn}",
    response_model=DeleteExecutionResponse,
    summary="Delete an execution: its orders, logs and record in the database, and its results files",
    responses={
        404: ERRORS[404],
        409: {"description": "The execution is RUNNING, or its orders are being saved; nothing was removed"},
        422: ERRORS[422],
        502: {"description": "The orchestrator could not be asked for the execution's status"},
    },
)
def delete_execution(execution_arn: ExecutionArn, orders: OrdersServiceDep) -> DeleteExecutionResponse:
    """Removes the execution's rows (orders, processing logs, execution record) and every results-store object
    under its prefix (manifest, per-symbol files, result.json). A second DELETE of the same ARN is 404."""
    return orders.delete(execution_arn)
