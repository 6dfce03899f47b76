"""Request and response models of the /orders endpoints (field names of the original, camelCase included)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from lambda_functions.common.execution_names import EXECUTION_NAME
from lambda_functions.common.timewindow import DAY_MS, HOUR_MS
from lambda_functions.coordinator.events import StartRequest
from lambda_functions.coordinator.validation import (
    MAX_MS,
    MAX_SYMBOLS_CEILING,
    SYMBOLS_SLACK,
    RequestError,
    normalise_symbol,
    parse_request,
)

# Standard: arn:aws:states:<region>:<account>:execution:<state machine>:<name>
# Express:  arn:aws:states:<region>:<account>:express:<state machine>:<name>:<run id>
_ARN_HEAD = r"^arn:aws[a-z-]*:states:[a-z0-9-]{1,40}:[0-9]{1,12}:"
_MACHINE = _RUN_ID = r"[A-Za-z0-9_.-]{1,80}"  # a state machine's name, an express run's id
_NAME = EXECUTION_NAME
EXECUTION_ARN_PATTERN = f"{_ARN_HEAD}(execution:{_MACHINE}:{_NAME}|express:{_MACHINE}:{_NAME}:{_RUN_ID})$"
EXAMPLE_ARN = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:orders-20240101T100000Z-3f2a9c1b"


def _request_examples(schema: dict[str, Any]) -> None:
    """POST /orders examples, valid whenever the page is built: the window one lies inside Bitget's last 90 days
    (an hour-rounded now keeps the page stable)."""
    now = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    schema["examples"] = [
        {"symbols": ["BTCUSDT", "ETHUSDT"]},
        {"symbols": ["BTCUSDT"], "start_ms": now - 30 * DAY_MS, "end_ms": now - DAY_MS},
        {"symbols": ["BTCUSDT", "ETHUSDT"], "include_plan_orders": False, "include_simulation": True},
        {},
        {"symbols": "all", "spot_plan_symbols": ["XRPUSDT"]},
        {"since": "last_sync"},
    ]


class OrdersRequest(BaseModel):
    """Body of POST /orders: the symbols, optionally a window and the per-request options.

    The window is clamped, and the answer says so: an `end_ms` in the future becomes now, a `start_ms` older than
    Bitget's 90-day retention becomes the retention edge. A window that ends before the retention edge, or
    starts in the future, is refused (422)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_request_examples)

    symbols: list[str] | Literal["all"] | None = Field(
        None,
        description="Bitget v2 symbols (2-30 letters and digits, e.g. BTCUSDT); lower case and v1 suffixes "
        'such as BTCUSDT_UMCBL are normalised to the v2 name. Omitted (or "all"): the whole account, '
        "every stream paged without a symbol list (spot plan history for the candidate symbols: the ones "
        "the account's spot orders and open plan orders show, plus `spot_plan_symbols`).",
    )
    since: Literal["last_sync"] | None = Field(
        None,
        description='"last_sync": an incremental sync of the whole account: each stream from where the last '
        "complete sync left it (or from its oldest order that was still open then), minus a 5-minute overlap",
    )
    spot_plan_symbols: list[str] | None = Field(
        None,
        description="Whole-account requests: more symbols whose spot plan history to page (Bitget requires a "
        "symbol there)",
    )
    start_ms: StrictInt | None = Field(
        None,
        ge=0,
        le=MAX_MS,
        description="Window start, ms since epoch (default: end_ms - 90 days); not in the future",
    )
    end_ms: StrictInt | None = Field(
        None,
        ge=0,
        le=MAX_MS,
        description="Window end, ms since epoch (default: now); after now - 90 days (Bitget's retention). "
        "A future end is clamped to now (the answer says so).",
    )
    include_plan_orders: StrictBool | None = Field(
        None,
        description="Also extract plan (trigger) order histories: spot plan orders and each futures product "
        "type's plan orders. null or absent: the service default (INCLUDE_PLAN_ORDERS, true).",
    )
    include_simulation: StrictBool | None = Field(
        None,
        description="Also extract the demo-trading futures product types (SUSDT-, SUSDC-, SCOIN-FUTURES). "
        "null or absent: the service default (INCLUDE_SIMULATION, false).",
    )
    include_fills: StrictBool | None = Field(
        None,
        description="Also extract fills (each execution of an order, with its price and fee) into their own "
        "table. null or absent: on for the whole account, off for a symbol list.",
    )

    @field_validator("symbols", "spot_plan_symbols", mode="before")
    @classmethod
    def _symbols_are_v2_names(cls, raw: Any) -> Any:
        """The coordinator's own rule (same normalisation, same messages): API and coordinator agree."""
        if isinstance(raw, str) and raw.strip().lower() == "all":
            return "all"
        if not isinstance(raw, list):
            return raw  # pydantic reports "should be a valid list"
        if not raw:
            raise ValueError(
                "'symbols' is empty: give at least one symbol, like [\"BTCUSDT\"], or omit it for the whole account"
            )
        try:
            # The deployment's MAX_SYMBOLS is the service's check (400); a list no deployment could take is
            # refused here before any entry is normalised.
            if len(raw) > MAX_SYMBOLS_CEILING + SYMBOLS_SLACK:
                raise RequestError(
                    f"too many symbols: {len(raw)} given (MAX_SYMBOLS is 500 by default, never more than "
                    f"{MAX_SYMBOLS_CEILING}): split the list over several requests, or omit it for the whole account"
                )
            return list(dict.fromkeys(normalise_symbol(item) for item in raw))
        except RequestError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _window_is_valid(self) -> OrdersRequest:
        """Can return orders once clamped (ordered, ends inside the retention, does not start in the future):
        the coordinator's own `resolve_window`, which does the clamping."""
        try:
            parse_request(self.start_request(), int(time.time() * 1000), max_symbols=10**6)
        except RequestError as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def account_wide(self) -> bool:
        return self.symbols is None or self.symbols == "all"

    def symbol_list(self) -> list[str] | None:
        """The symbols, or None for the whole account."""
        return None if self.symbols is None or self.symbols == "all" else list(self.symbols)

    def start_request(self) -> StartRequest:
        """The request as the coordinator takes it (its own validation decides; one rule set)."""
        return StartRequest(**self.model_dump(exclude_none=True) | {"symbols": self.symbol_list()})


class OrdersStartedResponse(BaseModel):
    """What POST /orders answers (202)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "started",
                    "executionArn": EXAMPLE_ARN,
                    "execution_name": "orders-20240101T100000Z-3f2a9c1b",
                    "symbols": ["BTCUSDT", "ETHUSDT"],
                    "start_ms": 1696000000000,
                    "end_ms": 1703776000000,
                    "message": "Procesamiento iniciado para 2 símbolos",
                    "database_saved": True,
                    "database_message": "ExecutionArn guardado automáticamente en base de datos",
                    "status_url": f"/orders/{EXAMPLE_ARN}",
                    "requested_start_ms": 1690000000000,
                    "requested_end_ms": 1710000000000,
                    "window_clamped": True,
                    "window_note": "end_ms 1710000000000 is in the future: clamped to now (1703776000000); "
                    "start_ms 1690000000000 is older than Bitget's 90-day retention: clamped to the retention "
                    "edge (1696000000000).",
                    "include_plan_orders": True,
                    "include_simulation": False,
                    "account_id": "6281043197",
                    "account_check": "ok",
                }
            ]
        }
    )

    status: str = "started"
    executionArn: str
    execution_name: str
    symbols: list[str]
    start_ms: int = Field(..., description="Window start actually used (after clamping), ms since epoch")
    end_ms: int = Field(..., description="Window end actually used (after clamping), ms since epoch")
    message: str
    database_saved: bool
    database_message: str
    status_url: str
    requested_start_ms: int | None = Field(None, description="`start_ms` as requested (null: not given)")
    requested_end_ms: int | None = Field(None, description="`end_ms` as requested (null: not given)")
    window_clamped: bool = Field(
        False, description="True when the window used differs from the one requested (see `window_note`)"
    )
    window_note: str | None = Field(None, description="What was clamped and why, when something was")
    include_plan_orders: bool | None = Field(None, description="Whether plan orders are extracted")
    include_simulation: bool | None = Field(
        None, description="Whether the demo-trading futures product types are extracted"
    )
    include_fills: bool | None = Field(None, description="Whether fills are extracted")
    account_mode: Literal["classic", "unified"] | None = Field(
        None,
        description="classic (v2 endpoints) or unified (a Unified Trading Account: v3 endpoints), from the "
        "account check; null when it did not run (each worker then asks Bitget itself)",
    )
    account_id: str | None = Field(
        None, description="Bitget's userId of the account, from the check made before starting"
    )
    account_check: str | None = Field(
        None,
        description="ok (Bitget accepted the key) | unverified (Bitget could not be asked; started anyway) "
        "| off (ACCOUNT_PRECHECK=false)",
    )
    scope: Literal["account"] | None = Field(
        None, description='"account" for a whole-account extraction (symbols are then the account units)'
    )
    since: str | None = Field(None, description='"last_sync" for an incremental sync')
    stream_starts: dict[str, int] | None = Field(
        None, description="Incremental sync: where each stream starts (ms); streams not named use start_ms"
    )
    spot_plan_symbols: list[str] | None = Field(
        None,
        description="Whole account: the spot plan candidates known before the run (more are found in it)",
    )
    sync_note: str | None = Field(
        None, description="Why a sync reads more than it might (e.g. no earlier sync)"
    )


class IncompleteStream(BaseModel):
    """A stream not paged to its end (`stream` null: the whole symbol, e.g. its worker failed)."""

    symbol: str
    stream: str | None = None
    reason: str | None = Field(
        None, description="rate_limit, timeout, server_error, max_pages, cursor_stalled, worker_error, ..."
    )
    error_code: str | None = Field(None, description="Bitget's error code, when Bitget gave one")
    error_message: str | None = Field(None, description="Bitget's message (never a secret), when it gave one")


def _complete_field() -> Any:
    return Field(
        None,
        description="Every stream of every symbol paged to its end; null while unknown (running, or older results)",
    )


def _incomplete_field() -> Any:
    return Field(
        default_factory=list, description="The streams that were not (at most 100; the count covers all)"
    )


class ExecutionListItem(BaseModel):
    id: int | None = None
    execution_arn: str
    symbols: list[str] = []
    status: str
    total_orders: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    complete: bool | None = _complete_field()
    incomplete_streams: list[IncompleteStream] = _incomplete_field()
    incomplete_streams_count: int | None = None


class ExecutionListResponse(BaseModel):
    """GET /orders/list: executions saved in the database, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total_executions": 1,
                    "skip": 0,
                    "limit": 50,
                    "executions": [
                        {
                            "id": 1,
                            "execution_arn": EXAMPLE_ARN,
                            "symbols": ["BTCUSDT", "ETHUSDT"],
                            "status": "SUCCEEDED",
                            "total_orders": 1559,
                            "created_at": "2024-01-01T10:00:00Z",
                            "updated_at": "2024-01-01T10:02:00Z",
                            "complete": False,
                            "incomplete_streams": [
                                {
                                    "symbol": "ETHUSDT",
                                    "stream": "USDT-FUTURES",
                                    "reason": "rate_limit",
                                    "error_code": "429",
                                    "error_message": "Too Many Requests",
                                }
                            ],
                            "incomplete_streams_count": 1,
                        }
                    ],
                }
            ]
        }
    )

    total_executions: int
    skip: int
    limit: int
    executions: list[ExecutionListItem]


class AwsExecutionDetails(BaseModel):
    startDate: datetime | None = None
    stopDate: datetime | None = None
    duration_seconds: float | None = None
    duration_formatted: str | None = None
    stateMachineArn: str | None = None
    runs: int | None = Field(
        None, description="State-machine runs of this execution: 1, plus one per resume or continuation"
    )
    latest_run_arn: str | None = Field(
        None, description="The latest run's own ARN when the execution was resumed or continued (else null)"
    )


class DatabaseInfo(BaseModel):
    """Where the hydration of the database from the results stands."""

    state: str = Field(..., description="pending | saving | saved | failed | deleting")
    orders_in_db: int
    orders_saved: int = 0
    processing_time_seconds: float | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    rows_rejected: int | None = Field(
        None,
        description="Order and fill records the hydration skipped as unusable (logged with their reason)",
    )
    fills_in_db: int = Field(0, description="Fills stored for this execution (GET /orders/{arn}/fills)")
    fills_saved: int | None = Field(
        None, description="Fills this hydration saved so far (null: saved before fills were kept)"
    )


class ExecutionStatusResponse(BaseModel):
    """GET /orders/{execution_arn}: status, progress, result and database state."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "executionArn": EXAMPLE_ARN,
                    "status": "RUNNING",
                    "startDate": "2024-01-01T10:00:00Z",
                    "processing_time_seconds": 45.2,
                    "progress": {"symbols_done": 1, "symbols_total": 2},
                },
                {
                    "executionArn": EXAMPLE_ARN,
                    "status": "SUCCEEDED",
                    "result": {
                        "success": True,
                        "summary": {"total_orders": 1559, "total_symbols_processed": 2},
                        "s3_data_url": "http://127.0.0.1:8000/results/bitget-results/orders-x/result.json",
                        "aws_total_duration_seconds": 115.092,
                        "aws_total_duration_formatted": "1m 55.092s",
                    },
                    "aws_execution_details": {
                        "startDate": "2024-01-01T10:00:00Z",
                        "stopDate": "2024-01-01T10:01:55Z",
                        "duration_seconds": 115.092,
                        "duration_formatted": "1m 55.092s",
                        "stateMachineArn": "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders",
                    },
                    "database_info": {
                        "state": "saved",
                        "orders_in_db": 1559,
                        "orders_saved": 1559,
                        "rows_rejected": 0,
                    },
                },
            ]
        }
    )

    executionArn: str
    status: str
    message: str | None = None
    startDate: datetime | None = None
    processing_time_seconds: float | None = None
    progress: dict[str, int] | None = Field(
        None,
        description="While RUNNING: symbols_done / symbols_total (the Map's items), and from the workers' "
        "checkpoints streams_done / streams_total, orders (records kept so far), requests and http_429; "
        "per symbol and stream: GET /orders/{arn}/progress",
    )
    result: dict[str, Any] | None = None
    aws_execution_details: AwsExecutionDetails | None = None
    database_info: DatabaseInfo | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionInfo(BaseModel):
    status: str
    total_orders: int | None = None
    total_symbols: int | None = None
    symbols: list[str] = []
    s3_uri: str | None = None
    created_at: datetime | None = None
    hydration_state: str | None = None
    complete: bool | None = _complete_field()
    incomplete_streams: list[IncompleteStream] = _incomplete_field()
    incomplete_streams_count: int | None = None
    rows_rejected: int | None = Field(None, description="Order records the hydration skipped as unusable")


class Pagination(BaseModel):
    skip: int
    limit: int
    total_orders: int
    returned_count: int
    has_more: bool
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page at constant cost"
    )


class OrdersPageResponse(BaseModel):
    """GET /orders/{execution_arn}/database: one page of the saved orders, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "execution_arn": EXAMPLE_ARN,
                    "execution_info": {
                        "status": "SUCCEEDED",
                        "total_orders": 150,
                        "total_symbols": 2,
                        "symbols": ["BTCUSDT", "ETHUSDT"],
                        "s3_uri": "s3://my-results/bitget-results/orders-x/result.json",
                        "created_at": "2024-01-01T10:00:00Z",
                        "hydration_state": "saved",
                        "complete": True,
                        "incomplete_streams": [],
                        "incomplete_streams_count": 0,
                        "rows_rejected": 0,
                    },
                    "orders": [
                        {
                            "id": 1,
                            "symbol": "BTCUSDT",
                            "stream": "spot_normal",
                            "order_id": "12345",
                            "side": "buy",
                            "status": "filled",
                            "price": "50000.00",
                            "size": "0.001",
                            "c_time": 1690196141868,
                        }
                    ],
                    "pagination": {
                        "skip": 0,
                        "limit": 10,
                        "total_orders": 150,
                        "returned_count": 1,
                        "has_more": True,
                        "next_cursor": "eyJjIjoxNjkwMTk2MTQxODY4fQ",
                    },
                }
            ]
        }
    )

    execution_arn: str
    execution_info: ExecutionInfo
    orders: list[dict[str, Any]]
    pagination: Pagination


class SaveFromUrlResponse(BaseModel):
    """POST /orders/{execution_arn}/save-from-url."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": True,
                    "message": "Datos guardados exitosamente desde URL pública",
                    "saved_orders_count": 150,
                    "execution_arn": EXAMPLE_ARN,
                    "processing_time_seconds": 2.3,
                    "state": "saved",
                }
            ]
        }
    )

    success: bool
    message: str
    saved_orders_count: int
    execution_arn: str
    processing_time_seconds: float
    state: str


class RemovedItems(BaseModel):
    orders: int = Field(..., description="Rows removed from `orders`")
    fills: int = Field(
        0, description="The execution's fills removed (its links; fills no other execution saw too)"
    )
    processing_logs: int = Field(..., description="Rows removed from `processing_logs`")
    execution_record: bool = Field(..., description="Whether the `execution_results` row was removed")
    results_prefix: str = Field(..., description="The results-store prefix that was emptied")
    results_objects: int = Field(
        ..., description="Results-store objects removed (manifest, per-symbol files, result.json)"
    )
    results_keys: list[str] = Field(default_factory=list, description="Their keys (the first 50)")


class DeleteExecutionResponse(BaseModel):
    """DELETE /orders/{execution_arn}: what was removed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "execution_arn": EXAMPLE_ARN,
                    "deleted": True,
                    "status": "SUCCEEDED",
                    "message": "Execution deleted: 1559 orders and 2 results objects",
                    "removed": {
                        "orders": 1559,
                        "processing_logs": 2,
                        "execution_record": True,
                        "results_prefix": "bitget-results/orders-20240101T100000Z-3f2a9c1b/",
                        "results_objects": 2,
                        "results_keys": [
                            "bitget-results/orders-20240101T100000Z-3f2a9c1b/manifest.json",
                            "bitget-results/orders-20240101T100000Z-3f2a9c1b/result.json",
                        ],
                    },
                }
            ]
        }
    )

    execution_arn: str
    deleted: bool
    status: str = Field(..., description="The execution's status when it was removed")
    message: str
    removed: RemovedItems


class CancelResponse(BaseModel):
    """POST /orders/{execution_arn}/cancel: the stop was asked; the execution becomes ABORTED shortly."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "executionArn": EXAMPLE_ARN,
                    "status": "ABORTING",
                    "message": "Cancel requested: the workers stop at their next page; the execution then "
                    "reads ABORTED with what was fetched until then",
                    "status_url": f"/orders/{EXAMPLE_ARN}",
                }
            ]
        }
    )

    executionArn: str
    status: str = Field(description="ABORTING; GET /orders/{arn} reports ABORTED once the workers stopped")
    message: str
    status_url: str


class ResumeResponse(BaseModel):
    """POST /orders/{execution_arn}/resume: a new run of the same execution, under the same ARN."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "executionArn": EXAMPLE_ARN,
                    "execution_name": "orders-20240101T100000Z-3f2a9c1b",
                    "status": "RUNNING",
                    "previous_status": "ABORTED",
                    "run": 1,
                    "run_arn": EXAMPLE_ARN + "-r1",
                    "message": "Execution resumed from its checkpoints (failed shards are reopened)",
                    "status_url": f"/orders/{EXAMPLE_ARN}",
                }
            ]
        }
    )

    executionArn: str = Field(description="The original ARN: the execution keeps it across its runs")
    execution_name: str
    status: str
    previous_status: str = Field(description="What the execution was before: FAILED, ABORTED, SUCCEEDED...")
    run: int = Field(description="The resume's number (the original run is 0)")
    run_arn: str = Field(description="The new state-machine run's ARN (NAME-r{run})")
    message: str
    status_url: str
