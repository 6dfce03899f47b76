"""A symbol's checkpoint: where every shard stands and which segments hold the rows already fetched.

The checkpoint document (`keys.checkpoint_key`) is the only state a worker keeps between invocations. It lists
every shard of every paged stream (its owned range, its cursor, how it ended, or open), the stream counters,
the durable segments (`segments.py`) and, once the symbol is finished, its summary. A worker that starts finds
its checkpoint and goes on from it: the rows of the segments are never fetched again, and open shards continue
from their cursors. Consistency rule: every row a segment holds was fetched before the cursor its shard's state
records, so continuing from that cursor neither skips nor (beyond a cursor row Bitget repeats, dropped by the
merge) repeats a row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore
from lambda_functions.worker.window import Window

VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: the message names the problem (never silently ignored)."""


@dataclass
class ShardState:
    """One shard as the checkpoint knows it; `end` None means open (more pages to fetch)."""

    id: int
    stream: str
    query: int  # the index of its query in the stream's plan (stream_plan.py)
    lo: int
    hi: int
    cursor: str | None = None
    pages: int = 0
    kept: int = 0
    probe: bool = False
    waiting: bool = False  # queued behind its stream's probe, never asked yet
    end: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardState:
        return cls(**{name: data[name] for name in _SHARD_FIELDS if name in data})


_SHARD_FIELDS = tuple(ShardState.__dataclass_fields__)


@dataclass
class StreamState:
    """A paged stream's counters (the completeness comes from its shards' states)."""

    pages: int = 0
    second_passes: int = 0
    error: list[str | None] | None = None  # [category, Bitget code, message]
    not_applicable: bool = False
    reason: str | None = None
    rejected_rows: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    page_size_adjustments: int = 0
    rows_outside_query: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StreamState:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass
class Segment:
    key: str
    rows: int
    level: int = 0  # compactions it went through (segments.py)


@dataclass
class Checkpoint:
    symbol: str
    execution: str
    window: Window
    plan_orders: bool
    simulation: bool
    fills: bool = False
    account_mode: str = "classic"  # which endpoints the plan pages: classic (v2) or unified (v3)
    streams: dict[str, StreamState] = field(default_factory=dict)
    shards: list[ShardState] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    next_segment: int = 0
    next_shard_id: int = 0
    invocations: int = 0
    client_stats: dict[str, int] = field(default_factory=dict)  # requests, retries, http_429 over invocations
    finished: bool = False
    summary: dict[str, Any] | None = None
    # An account unit's own state (extraction.py): its scope, the open orders read before its first page,
    # and the spot plan candidates once known. None for a symbol.
    account: dict[str, Any] | None = None

    def open_shards(self) -> list[ShardState]:
        return [shard for shard in self.shards if shard.end is None]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "symbol": self.symbol,
            "execution": self.execution,
            "window": {
                "start_ms": self.window.start_ms,
                "end_ms": self.window.end_ms,
                "clamped": self.window.clamped,
                "requested_start_ms": self.window.requested_start_ms,
            },
            "plan_orders": self.plan_orders,
            "simulation": self.simulation,
            "fills": self.fills,
            "account_mode": self.account_mode,
            "streams": {name: asdict(state) for name, state in self.streams.items()},
            "shards": [asdict(shard) for shard in self.shards],
            "segments": [asdict(segment) for segment in self.segments],
            "next_segment": self.next_segment,
            "next_shard_id": self.next_shard_id,
            "invocations": self.invocations,
            "client_stats": self.client_stats,
            "finished": self.finished,
            "summary": self.summary,
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Checkpoint:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise CheckpointError(f"checkpoint {where} is not a version-{VERSION} checkpoint document")
        try:
            window = data["window"]
            return cls(
                symbol=data["symbol"],
                execution=data["execution"],
                window=Window(
                    int(window["start_ms"]),
                    int(window["end_ms"]),
                    bool(window.get("clamped")),
                    window.get("requested_start_ms"),
                ),
                plan_orders=bool(data["plan_orders"]),
                simulation=bool(data["simulation"]),
                fills=bool(data.get("fills", False)),
                account_mode=str(data.get("account_mode") or "classic"),
                streams={name: StreamState.from_json(s) for name, s in data["streams"].items()},
                shards=[ShardState.from_json(s) for s in data["shards"]],
                segments=[Segment(**s) for s in data["segments"]],
                next_segment=int(data["next_segment"]),
                next_shard_id=int(data["next_shard_id"]),
                invocations=int(data.get("invocations", 0)),
                client_stats=dict(data.get("client_stats") or {}),
                finished=bool(data.get("finished")),
                summary=data.get("summary"),
                account=data.get("account"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"checkpoint {where} is malformed: {type(exc).__name__}: {exc}") from None


def load(store: ResultsStore, key: str) -> Checkpoint | None:
    """The checkpoint at `key`, or None when the symbol has none yet."""
    try:
        data = store.get_json(key)
    except ResultNotFoundError:
        return None
    return Checkpoint.from_json(data, key)


def save(store: ResultsStore, key: str, checkpoint: Checkpoint) -> None:
    """Write the checkpoint (one atomic PUT: readers see the previous document or this one)."""
    store.put_json(key, checkpoint.to_json())
