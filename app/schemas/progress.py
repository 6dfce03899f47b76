"""Response model of GET /orders/{execution_arn}/progress: the workers' checkpoints, per symbol and stream
(app/services/execution_progress.py reads them into these)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field


@dataclass
class StreamProgress:
    stream: str
    pages: int = 0
    orders: int = 0  # rows kept so far (made durable by the worker)
    state: str = "open"  # open | complete | the reason a shard ended otherwise (timeout, cursor_stalled, ...)


@dataclass
class SymbolProgress:
    symbol: str
    finished: bool = False
    orders: int = 0
    requests: int = 0
    retries: int = 0
    http_429: int = 0
    duration_s: float | None = None  # the worker's own fetch time, once it finished
    complete: bool | None = None
    streams: list[StreamProgress] = field(default_factory=list)

    @property
    def streams_done(self) -> int:
        return sum(1 for s in self.streams if s.state != "open")


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
