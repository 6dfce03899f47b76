"""GET /symbols."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from app.api.deps import SymbolsServiceDep
from app.schemas.symbols import SymbolsResponse
from lambda_functions.common.bitget import BitgetError

router = APIRouter(tags=["symbols"])


@router.get(
    "/symbols",
    response_model=SymbolsResponse,
    summary="Spot and futures symbols (v2)",
    responses={502: {"description": "The exchange did not answer usably"}},
)
def list_symbols(symbols: SymbolsServiceDep) -> SymbolsResponse:
    """Spot pairs plus USDT/USDC/COIN futures contracts, cached for SYMBOLS_CACHE_SECONDS."""
    try:
        return symbols.get()
    except BitgetError as exc:
        raise HTTPException(502, f"the exchange did not answer usably: {type(exc).__name__}") from exc
