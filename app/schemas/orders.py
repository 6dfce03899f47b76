"""Request and response models of the /orders endpoints (field names of the original, camelCase included)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from lambda_functions.coordinator.validation import (
    DEFAULT_WINDOW_DAYS,
    MAX_MS,
    RequestError,
    normalise_symbol,
    parse_window,
)

# Standard: arn:aws:states:<region>:<account>:execution:<state machine>:<name>
# Express:  arn:aws:states:<region>:<account>:express:<state machine>:<name>:<run id>
_ARN_HEAD = r"^arn:aws[a-z-]*:states:[a-z0-9-]{1,40}:[0-9]{1,12}:"
_MACHINE, _NAME, _RUN_ID = r"[A-Za-z0-9_.-]{1,80}", r"[A-Za-z0-9_-]{1,80}", r"[A-Za-z0-9_.-]{1,80}"
EXECUTION_ARN_PATTERN = f"{_ARN_HEAD}(execution:{_MACHINE}:{_NAME}|express:{_MACHINE}:{_NAME}:{_RUN_ID})$"
EXAMPLE_ARN = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:orders-20240101T100000Z-3f2a9c1b"


class OrdersRequest(BaseModel):
    """Body of POST /orders."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"symbols": ["BTCUSDT", "ETHUSDT"]},
                {"symbols": ["BTCUSDT"], "start_ms": 1690196141868, "end_ms": 1692800000000},
            ]
        },
    )

    symbols: list[str] = Field(
        ...,
        min_length=1,
        description="Bitget v2 symbols (2-30 letters and digits, e.g. BTCUSDT); lower case and v1 suffixes "
        "such as BTCUSDT_UMCBL are normalised to the v2 name",
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
        description="Window end, ms since epoch (default: now); after now - 90 days (Bitget's retention)",
    )

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols_are_v2_names(cls, raw: Any) -> Any:
        """The coordinator's own rule (same normalisation, same messages): API and coordinator agree."""
        if not isinstance(raw, list):
            return raw  # pydantic reports "should be a valid list"
        try:
            return list(dict.fromkeys(normalise_symbol(item) for item in raw))
        except RequestError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _window_is_valid(self) -> OrdersRequest:
        """Ordered, inside Bitget's retention, not in the future: the coordinator's `parse_window`."""
        try:
            parse_window(self.start_ms, self.end_ms, int(time.time() * 1000), DEFAULT_WINDOW_DAYS)
        except RequestError as exc:
            raise ValueError(str(exc)) from None
        return self


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
                }
            ]
        }
    )

    status: str = "started"
    executionArn: str
    execution_name: str
    symbols: list[str]
    start_ms: int
    end_ms: int
    message: str
    database_saved: bool
    database_message: str
    status_url: str


class ExecutionListItem(BaseModel):
    id: int | None = None
    execution_arn: str
    symbols: list[str] = []
    status: str
    total_orders: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


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


class DatabaseInfo(BaseModel):
    """Where the hydration of the database from the results stands."""

    state: str = Field(..., description="pending | saving | saved | failed")
    orders_in_db: int
    orders_saved: int = 0
    processing_time_seconds: float | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


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
                    "database_info": {"state": "saved", "orders_in_db": 1559, "orders_saved": 1559},
                },
            ]
        }
    )

    executionArn: str
    status: str
    message: str | None = None
    startDate: datetime | None = None
    processing_time_seconds: float | None = None
    progress: dict[str, int] | None = None
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
