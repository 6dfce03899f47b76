"""POST /accounts/{account_id}/sync: an incremental sync of the whole account (the other /accounts routes,
which read the ledger, are in accounts.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from app.api.deps import OrdersServiceDep
from app.orchestration.base import ExtractionOptions
from app.schemas.orders import OrdersStartedResponse
from lambda_functions.coordinator.validation import RequestError, normalise_symbol

router = APIRouter(prefix="/accounts", tags=["accounts"])
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
AccountId = Annotated[
    str,
    Path(pattern=ACCOUNT_ID_PATTERN, description="Bitget's userId of the account (GET /accounts lists them)"),
]


class SyncRequest(BaseModel):
    """Optional body of POST /accounts/{account_id}/sync."""

    model_config = ConfigDict(extra="forbid")

    include_plan_orders: StrictBool | None = Field(None, description="null: the service default")
    include_simulation: StrictBool | None = Field(None, description="null: the service default")
    include_fills: StrictBool | None = Field(None, description="Also sync fills (null: on)")
    spot_plan_symbols: list[str] | None = Field(
        None, description="More symbols whose spot plan history to sync (Bitget requires a symbol there)"
    )

    @field_validator("spot_plan_symbols", mode="before")
    @classmethod
    def _v2_names(cls, raw: Any) -> Any:
        if not isinstance(raw, list):
            return raw
        try:
            return list(dict.fromkeys(normalise_symbol(item) for item in raw))
        except RequestError as exc:
            raise ValueError(str(exc)) from None


@router.post(
    "/{account_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrdersStartedResponse,
    response_model_exclude_none=True,
    summary="Sync the account: extract only what is new since the last complete sync of each stream",
    responses={409: {"description": "The configured Bitget key belongs to another account"}},
)
def sync_account(
    account_id: AccountId, orders: OrdersServiceDep, body: Annotated[SyncRequest | None, Body()] = None
) -> OrdersStartedResponse:
    """Starts an account-wide execution with `"since": "last_sync"`: each stream from where the last complete
    sync left it, or from its oldest order that was still open then (an order enters Bitget's history when it
    finishes, under its creation time), minus 5 minutes. Without an earlier sync it reads the whole 90 days
    (`sync_note` says so). Poll `status_url` like any execution."""
    body = body or SyncRequest()
    options = ExtractionOptions(
        body.include_plan_orders,
        body.include_simulation,
        include_fills=body.include_fills,
        since="last_sync",
        spot_plan_symbols=body.spot_plan_symbols,
        expected_account_id=account_id,
    )
    return orders.start(None, None, None, options)
