"""Response model of GET /orders/{execution_arn}/progress: the workers' checkpoints, per symbol and stream."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.services.execution_progress import ExecutionProgress, SymbolProgress


class ProgressResponse(BaseModel):
    """The totals so far, then per symbol its records, requests, retries and 429s, whether it finished (and
    complete), and per stream its pages, records and state (open, complete, or why a shard ended)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "symbols_total": 1,
                    "streams_done": 1,
                    "streams_total": 2,
                    "orders": 157,
                    "requests": 5,
                    "http_429": 0,
                    "requests_limit_per_s": 20,
                    "symbols": [
                        {
                            "symbol": "BTCUSDT",
                            "finished": False,
                            "orders": 157,
                            "requests": 5,
                            "retries": 1,
                            "http_429": 0,
                            "duration_s": None,
                            "complete": None,
                            "streams": [
                                {"stream": "spot_normal", "pages": 2, "orders": 150, "state": "open"},
                                {"stream": "spot_plan", "pages": 1, "orders": 7, "state": "complete"},
                            ],
                        }
                    ],
                }
            ]
        }
    )

    symbols_total: int = Field(description="Symbols with a checkpoint (the first 200 are listed)")
    streams_done: int
    streams_total: int
    orders: int = Field(description="Records kept so far")
    requests: int
    http_429: int
    requests_limit_per_s: int = Field(
        description="Bitget's published limits of the endpoints still being paged, summed"
    )
    symbols: list[SymbolProgress]

    @classmethod
    def of(cls, progress: ExecutionProgress) -> ProgressResponse:
        return cls(symbols_total=progress.symbols_total, **progress.totals(), symbols=progress.symbols)
