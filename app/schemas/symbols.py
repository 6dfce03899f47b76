"""Response model of GET /symbols."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SymbolEntry(BaseModel):
    symbol: str
    status: str
    product_type: str


class ProductTypeSummary(BaseModel):
    count: int
    description: str


class SymbolsResponse(BaseModel):
    """Spot pairs and USDT/USDC/COIN futures contracts (v2 names only), cached briefly."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "symbols": [
                        {"symbol": "BTCUSDT", "status": "online", "product_type": "spot"},
                        {"symbol": "BTCUSDT", "status": "normal", "product_type": "usdt-futures"},
                    ],
                    "total_count": 2,
                    "product_types_summary": {
                        "spot": {"count": 1, "description": "Spot trading pairs (v2)"},
                        "usdt-futures": {"count": 1, "description": "USDT-margined futures (v2)"},
                        "usdc-futures": {"count": 0, "description": "USDC-margined futures (v2)"},
                        "coin-futures": {"count": 0, "description": "Coin-margined futures (v2)"},
                    },
                    "api_info": {
                        "note": "Only v2 symbols (no underscore) are included",
                        "endpoints_used": ["/api/v2/spot/public/symbols", "/api/v2/mix/market/contracts"],
                        "exchange": "sandbox",
                        "base_url": "http://127.0.0.1:8900",
                        "cached": False,
                        "cache_seconds": 300,
                        "fetched_at": "2024-01-01T10:00:00Z",
                    },
                }
            ]
        }
    )

    symbols: list[SymbolEntry]
    total_count: int
    product_types_summary: dict[str, ProductTypeSummary]
    api_info: dict[str, object]
