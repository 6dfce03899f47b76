"""GET /accounts, GET /accounts/{account_id}, GET /accounts/{account_id}/orders: the ledger's read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"  # Bitget's userId, or "unknown" (as POST /accounts/{id}/sync)
EXAMPLE_ACCOUNT = "1187837411"
EXAMPLE_ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:20261124T021759Z-a6782b07-061ce2"


class ExtractionRef(BaseModel):
    """An execution of the account (the newest one recorded)."""

    execution_arn: str
    status: str
    created_at: datetime | None = None
    complete: bool | None = Field(None, description="Every stream paged to its end (null: not known)")
    hydration_state: str | None = Field(None, description="pending | saving | saved | failed | deleting")
    orders_saved: int = Field(0, description="Orders this execution saw and linked (its /database total)")


class AccountListItem(BaseModel):
    account_id: str = Field(..., description="Bitget's userId; `unknown` for executions that ran without one")
    orders_stored: int = Field(..., description="Distinct orders kept in the ledger")
    streams: dict[str, int] = Field(default_factory=dict, description="Distinct orders per stream")
    first_order_ms: int | None = Field(None, description="Oldest stored order's cTime")
    last_order_ms: int | None = Field(None, description="Newest stored order's cTime")
    last_extraction: ExtractionRef | None = None
    fills_stored: int = Field(0, description="Distinct fills kept in the ledger")
    fill_streams: dict[str, int] = Field(default_factory=dict, description="Distinct fills per fill stream")
    first_fill_ms: int | None = Field(None, description="Oldest stored fill's cTime")
    last_fill_ms: int | None = Field(None, description="Newest stored fill's cTime")


class AccountList(BaseModel):
    """GET /accounts: every account the ledger or the executions know."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total_accounts": 1,
                    "accounts": [
                        {
                            "account_id": EXAMPLE_ACCOUNT,
                            "orders_stored": 3368,
                            "streams": {"USDT-FUTURES": 1312, "spot_normal": 1966, "spot_tpsl": 90},
                            "first_order_ms": 1787710680000,
                            "last_order_ms": 1795474855941,
                            "last_extraction": {
                                "execution_arn": EXAMPLE_ARN,
                                "status": "SUCCEEDED",
                                "created_at": "2026-11-24T02:17:59.411572Z",
                                "complete": True,
                                "hydration_state": "saved",
                                "orders_saved": 3368,
                            },
                        }
                    ],
                }
            ]
        }
    )

    total_accounts: int
    accounts: list[AccountListItem]


class TimeRange(BaseModel):
    start_ms: int = Field(..., description="Inclusive, ms since epoch")
    end_ms: int = Field(..., description="Exclusive, ms since epoch")


class Gap(TimeRange):
    recoverable: bool = Field(
        ..., description="false: older than Bitget's 90-day retention (the API can no longer return it)"
    )
    until_now: bool = Field(
        False,
        description="The time since the last complete extraction (a sync covers it), not a hole between two",
    )
    note: str


class SymbolCoverage(BaseModel):
    """A stream's coverage for one symbol (extractions by symbol), whole-stream coverage included."""

    symbol: str
    covered: list[TimeRange]
    gaps: list[Gap]


class StreamExtraction(BaseModel):
    """The complete extraction of the stream that reached furthest."""

    execution_arn: str
    symbol: str = Field(..., description='"" when the stream was paged for every symbol at once')
    start_ms: int
    end_ms: int
    recorded_at: datetime | None = None


class StreamSummary(BaseModel):
    stream: str
    orders_stored: int
    first_order_ms: int | None = None
    last_order_ms: int | None = None
    coverage_scope: str = Field(
        ...,
        description="account: whole-stream extractions exist (covered/gaps are the stream's); symbols: only "
        "per-symbol extractions (see `symbols`); none: no complete extraction recorded",
    )
    covered: list[TimeRange] = Field(
        default_factory=list, description="Merged ranges complete whole-stream extractions paged"
    )
    gaps: list[Gap] = Field(
        default_factory=list, description="Parts of [first covered start, now) no complete extraction covered"
    )
    symbols: list[SymbolCoverage] = Field(
        default_factory=list, description="Per symbol, for symbols extracted one by one"
    )
    last_extraction: StreamExtraction | None = None
    fills_stored: int | None = Field(
        None, description="A fill stream (`*_fills`): its distinct fills (null for order streams)"
    )
    first_fill_ms: int | None = Field(None, description="A fill stream: its oldest stored fill's cTime")
    last_fill_ms: int | None = Field(None, description="A fill stream: its newest stored fill's cTime")


class StreamSync(BaseModel):
    synced_to_ms: int = Field(..., description="The end of the last complete window of this stream")
    oldest_open_ms: int | None = Field(
        None, description="cTime of the oldest order that was still open at that sync (it is read again)"
    )
    next_start_ms: int = Field(..., description="Where the next sync starts this stream")
    last_sync_at: str | None = None
    last_execution: str | None = None


class SyncInfo(BaseModel):
    """Where the incremental sync of an account stands."""

    last_sync_at: str | None = Field(None, description="When the last account-wide execution ended")
    last_execution: str | None = None
    streams: dict[str, StreamSync] = Field(default_factory=dict)
    spot_plan_symbols: list[str] = Field(
        default_factory=list, description="Symbols whose spot plan is synced"
    )
    interval_minutes: int | None = Field(None, description="SYNC_INTERVAL_MINUTES (null: no schedule here)")
    next_sync_due_ms: int | None = Field(None, description="When the scheduled sync runs next (null: none)")
    warning: str | None = Field(
        None, description="Set when orders may age out of Bitget before the next sync"
    )


class AccountSummary(BaseModel):
    """GET /accounts/{account_id}: what the ledger keeps of the account, per stream, and what it misses."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": EXAMPLE_ACCOUNT,
                    "now_ms": 1795486679410,
                    "retention_edge_ms": 1787710679410,
                    "orders_stored": 1966,
                    "first_order_ms": 1787710680000,
                    "last_order_ms": 1795474855941,
                    "last_extraction": None,
                    "streams": [
                        {
                            "stream": "spot_normal",
                            "orders_stored": 1966,
                            "first_order_ms": 1787710680000,
                            "last_order_ms": 1795474855941,
                            "coverage_scope": "account",
                            "covered": [{"start_ms": 1787710679410, "end_ms": 1795486000000}],
                            "gaps": [
                                {
                                    "start_ms": 1795486000000,
                                    "end_ms": 1795486679410,
                                    "recoverable": True,
                                    "until_now": True,
                                    "note": "within Bitget's 90-day retention: a sync (POST /accounts/{id}/sync) "
                                    "or an extraction of this window fills it",
                                }
                            ],
                            "symbols": [],
                            "last_extraction": {
                                "execution_arn": EXAMPLE_ARN,
                                "symbol": "",
                                "start_ms": 1787710679410,
                                "end_ms": 1795486000000,
                                "recorded_at": "2026-11-24T02:18:03.870811Z",
                            },
                        }
                    ],
                    "sync": None,
                }
            ]
        }
    )

    account_id: str
    now_ms: int = Field(
        ...,
        description="The moment gaps are computed up to: this server's clock, or the furthest covered end when "
        "that is later (an extraction's window ends at the exchange's clock)",
    )
    retention_edge_ms: int = Field(..., description="now - 90 days: older orders Bitget no longer returns")
    orders_stored: int
    first_order_ms: int | None = None
    last_order_ms: int | None = None
    last_extraction: ExtractionRef | None = None
    streams: list[StreamSummary]
    sync: SyncInfo | None = Field(
        None, description="The incremental sync's state of the account (null: not reported here yet)"
    )
    fills_stored: int = Field(0, description="Distinct fills kept in the ledger (GET /accounts/{id}/fills)")
    first_fill_ms: int | None = Field(None, description="Oldest stored fill's cTime")
    last_fill_ms: int | None = Field(None, description="Newest stored fill's cTime")


class KeysetPagination(BaseModel):
    limit: int
    returned_count: int
    has_more: bool
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` (with the same filters) for the next page, same cost at any depth"
    )


class AccountOrdersPage(BaseModel):
    """GET /accounts/{account_id}/orders: one page of the account's distinct orders, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": EXAMPLE_ACCOUNT,
                    "filters": {"symbol": "BTCUSDT", "stream": None, "start_ms": None, "end_ms": None,
                                "side": "buy", "status": None},
                    "orders": [
                        {
                            "id": 6, "symbol": "BTCUSDT", "order_id": "1795474855941000002",
                            "stream": "spot_normal", "market": "spot", "product_type": None,
                            "client_oid": "c-2", "side": "buy", "trade_side": None, "status": "filled",
                            "order_type": "market", "price": "", "price_avg": "64477.39", "size": "3461.5977",
                            "base_volume": "0.0537", "quote_volume": "3461.5977", "fee": None,
                            "leverage": None, "margin_mode": None, "pos_side": None,
                            "c_time": 1795474855941, "u_time": 1795474855990,
                            "created_at": "2026-11-24T02:18:03.702113Z",
                        }
                    ],
                    "pagination": {"limit": 1, "returned_count": 1, "has_more": True,
                                   "next_cursor": "WzE3OTU0NzQ4NTU5NDEsMTc5NTQ3NDg1NTk0MTAwMDAwMiw2LCI0ZjEifQ"},
                }
            ]
        }
    )  # fmt: skip

    account_id: str
    filters: dict[str, Any] = Field(..., description="The filters this page (and its cursor) applies")
    orders: list[dict[str, Any]] = Field(
        ..., description="The stored fields; `raw` (every field Bitget sent) only with include_raw=true"
    )
    pagination: KeysetPagination
