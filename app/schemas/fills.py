"""GET /accounts/{account_id}/fills and GET /orders/{execution_arn}/fills: the fills' read models, and the
fill stream names the filters accept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.accounts import EXAMPLE_ACCOUNT, EXAMPLE_ARN, KeysetPagination
from lambda_functions.common.streams import (
    ALL_PRODUCT_TYPES,
    FILLS_SUFFIX,
    SPOT_FILLS,
    UTA_CATEGORIES,
    uta_stream,
)

# Every fill stream a record can carry (docs/CONTRACTS.md): classic spot, classic futures per product type,
# unified-account per category.
FILL_STREAMS = (
    SPOT_FILLS,
    *(product_type + FILLS_SUFFIX for product_type in ALL_PRODUCT_TYPES),
    *(uta_stream(category, fills=True) for category in UTA_CATEGORIES),
)

EXAMPLE_FILL: dict[str, Any] = {
    "id": 41, "symbol": "BTCUSDT", "trade_id": "1795474855941000101", "order_id": "1795474855941000002",
    "stream": "spot_fills", "market": "spot", "product_type": None, "side": "buy", "trade_side": None,
    "order_type": "market", "trade_scope": "taker", "price": "64477.39", "size": "0.0537",
    "amount": "3462.4358", "fee": "-0.0000537", "fee_coin": "BTC", "profit": None, "c_time": 1795474855941,
    "u_time": 1795474855990, "created_at": "2026-11-24T02:18:03.702113Z",
}  # fmt: skip
FILLS_DESCRIPTION = "The stored fill fields; `raw` (every field Bitget sent) only with include_raw=true"


class AccountFillsPage(BaseModel):
    """GET /accounts/{account_id}/fills: one page of the account's distinct fills, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": EXAMPLE_ACCOUNT,
                    "filters": {"symbol": "BTCUSDT", "stream": None, "order_id": None, "start_ms": None,
                                "end_ms": None, "side": None},
                    "fills": [EXAMPLE_FILL],
                    "pagination": {"limit": 1, "returned_count": 1, "has_more": True,
                                   "next_cursor": "WzE3OTU0NzQ4NTU5NDEsMTc5NTQ3NDg1NTk0MTAwMDEwMSw0MSwiOWM0In0"},
                }
            ]
        }
    )  # fmt: skip

    account_id: str
    filters: dict[str, Any] = Field(..., description="The filters this page (and its cursor) applies")
    fills: list[dict[str, Any]] = Field(..., description=FILLS_DESCRIPTION)
    pagination: KeysetPagination


class ExecutionFillsPage(BaseModel):
    """GET /orders/{execution_arn}/fills: one page of the fills an execution saw, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "execution_arn": EXAMPLE_ARN,
                    "hydration_state": "saved",
                    "filters": {"symbol": None, "stream": "spot_fills"},
                    "total": 1966,
                    "fills": [EXAMPLE_FILL],
                    "pagination": {"limit": 1, "returned_count": 1, "has_more": True,
                                   "next_cursor": "WzE3OTU0NzQ4NTU5NDEsMTc5NTQ3NDg1NTk0MTAwMDEwMSw0MSwiMmIxIn0"},
                }
            ]
        }
    )  # fmt: skip

    execution_arn: str
    hydration_state: str = Field(..., description="pending | saving | saved | failed | deleting")
    filters: dict[str, Any] = Field(..., description="The filters this page (and its cursor) applies")
    total: int = Field(..., description="Fills of the execution matching the filters")
    fills: list[dict[str, Any]] = Field(..., description=FILLS_DESCRIPTION)
    pagination: KeysetPagination
