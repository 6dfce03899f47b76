"""What the pages show, computed from the services' answers: formatting, badges, bar geometry.

Pure functions of what the services hand the JSON routes (the executions' database rows behind GET /orders/list,
GET /accounts/{id} as JSON, the workers' progress), so the templates stay simple and these can be tested without a
server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.services.execution_progress import ExecutionProgress

MAX_SYMBOLS_LISTED = 6  # a row names this many symbols, then "and N more"
FINISHED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class Badge:
    label: str
    css: str  # ok | bad | warn | run | muted
    title: str = ""


def fmt_ms(ms: Any) -> str:
    """Milliseconds since the epoch as `2026-11-29 08:33 UTC`; '' when unknown."""
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_time(value: Any) -> str:
    """An ISO time (as the API writes it) as `2026-11-29 08:33:58 UTC`."""
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def fmt_duration(seconds: Any) -> str:
    """4.5 s, 2 min 05 s, 3 h 02 min; '' when unknown."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "–"


def badge(status: str, complete: bool | None) -> Badge:
    """What a person needs at a glance: running, complete, incomplete (and why elsewhere), failed."""
    if status == "RUNNING":
        return Badge("running", "run", "the execution is still paging Bitget")
    if status == "SUCCEEDED":
        if complete is False:
            return Badge("incomplete", "warn", "some streams could not be paged to their end: see the errors")
        if complete is True:
            return Badge("complete", "ok", "every stream of every symbol paged to its end")
        return Badge("succeeded", "muted", "completeness not recorded")
    if status == "ABORTED":
        return Badge("cancelled", "warn", "stopped on request; what was fetched is kept")
    return Badge(status.lower().replace("_", " "), "bad", "the execution did not finish")


def symbols_text(symbols: Sequence[str]) -> str:
    names = [str(s) for s in symbols]
    if names in (["ALL_SPOT", "ALL_FUTURES"], ["ALL_FUTURES", "ALL_SPOT"]):
        return "whole account"
    shown = ", ".join(names[:MAX_SYMBOLS_LISTED])
    more = len(names) - MAX_SYMBOLS_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def window_text(start_ms: Any, end_ms: Any) -> str:
    start, end = fmt_ms(start_ms), fmt_ms(end_ms)
    return f"{start} → {end}" if start and end else ""


def duration_of(row: Mapping[str, Any], now: dt.datetime | None = None) -> float | None:
    """The execution's duration: the aggregator's figure, else created → updated (now while running)."""
    result = row.get("result")
    if isinstance(result, Mapping) and isinstance(result.get("aws_total_duration_seconds"), int | float):
        return float(result["aws_total_duration_seconds"])
    created = parse_time(row.get("created_at"))
    if created is None:
        return None
    if row.get("status") == "RUNNING":
        end = now or dt.datetime.now(dt.UTC)
    else:
        end = parse_time(row.get("updated_at")) or created
    return max(0.0, (end - created).total_seconds())


@dataclass(frozen=True)
class ExecutionRow:
    arn: str
    name: str
    status: str
    badge: Badge
    created: str
    window: str
    symbols: str
    orders: str
    duration: str
    account_id: str | None
    incomplete: int


def execution_row(row: Mapping[str, Any], now: dt.datetime | None = None) -> ExecutionRow:
    """One line of the executions table, from a row of `OrdersService.list_executions` (the database row behind
    a GET /orders/list item, with the window and account the item leaves out)."""
    arn = str(row.get("execution_arn") or "")
    status = str(row.get("status") or "UNKNOWN")
    orders = row.get("total_orders")
    if orders is None and row.get("orders_saved"):
        orders = row.get("orders_saved")
    account = row.get("account_id")
    return ExecutionRow(
        arn=arn,
        name=str(row.get("execution_name") or arn.rsplit(":", 1)[-1]),
        status=status,
        badge=badge(status, row.get("complete")),
        created=fmt_time(row.get("created_at")),
        window=window_text(row.get("start_ms"), row.get("end_ms")),
        symbols=symbols_text(row.get("symbols") or []),
        orders=fmt_count(orders),
        duration=fmt_duration(duration_of(row, now)),
        account_id=str(account) if account and account != "unknown" else None,
        incomplete=int(row.get("incomplete_streams_count") or 0),
    )


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its value, its label and its length as a percentage of the longest."""

    value: float
    label: str
    percent: float


def bars(values: Iterable[float], labels: Iterable[str]) -> list[Bar]:
    items = list(zip(values, labels, strict=True))
    top = max((v for v, _ in items), default=0.0)
    return [Bar(v, label, round(100.0 * v / top, 2) if top > 0 else 0.0) for v, label in items]


@dataclass(frozen=True)
class TimingRow:
    symbol: str
    fetch: Bar
    requests: Bar
    http_429: Bar
    finished: bool


def timing_rows(progress: ExecutionProgress) -> list[TimingRow]:
    """The timings chart: per symbol its fetch time, requests and 429s, each metric scaled to its own maximum."""
    symbols = progress.symbols
    fetch = bars(
        [s.duration_s or 0.0 for s in symbols],
        [fmt_duration(s.duration_s) if s.duration_s is not None else "running" for s in symbols],
    )
    requests = bars([float(s.requests) for s in symbols], [fmt_count(s.requests) for s in symbols])
    limited = bars([float(s.http_429) for s in symbols], [fmt_count(s.http_429) for s in symbols])
    return [
        TimingRow(s.symbol, f, r, h, s.finished)
        for s, f, r, h in zip(symbols, fetch, requests, limited, strict=True)
    ]


@dataclass(frozen=True)
class Segment:
    """A range drawn on a time axis: left offset and width in percent of the axis."""

    kind: str  # covered | gap-recoverable | gap-lost | gap-now
    left: float
    width: float
    title: str


@dataclass(frozen=True)
class TimeAxis:
    start_ms: int
    end_ms: int

    def segment(self, kind: str, start_ms: int, end_ms: int, title: str) -> Segment:
        span = max(1, self.end_ms - self.start_ms)
        lo = min(max(start_ms, self.start_ms), self.end_ms)
        hi = min(max(end_ms, self.start_ms), self.end_ms)
        left = 100.0 * (lo - self.start_ms) / span
        width = max(0.4, 100.0 * (hi - lo) / span)  # a short range stays visible
        return Segment(kind, round(left, 3), round(min(width, 100.0 - left), 3), title)

    def ticks(self, count: int = 6) -> list[tuple[float, str]]:
        span = self.end_ms - self.start_ms
        if span <= 0:
            return []
        return [
            (round(100.0 * i / (count - 1), 3), fmt_ms(self.start_ms + span * i // (count - 1))[:10])
            for i in range(count)
        ]


def coverage_axis(summary: Mapping[str, Any]) -> TimeAxis:
    """From the oldest thing worth drawing (covered time, a gap, the retention edge) to now."""
    starts = [int(summary["retention_edge_ms"])]
    for stream in summary.get("streams") or []:
        for item in _ranges(stream):
            starts.append(int(item["start_ms"]))
    end = int(summary["now_ms"])
    return TimeAxis(min([*starts, end - 1]), end)


def _ranges(stream: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from stream.get("covered") or []
    yield from stream.get("gaps") or []
    for symbol in stream.get("symbols") or []:
        yield from symbol.get("covered") or []
        yield from symbol.get("gaps") or []


def gap_kind(gap: Mapping[str, Any]) -> str:
    if not gap.get("recoverable"):
        return "gap-lost"
    return "gap-now" if gap.get("until_now") else "gap-recoverable"


def coverage_segments(
    axis: TimeAxis, covered: Iterable[Mapping[str, Any]], gaps: Iterable[Mapping[str, Any]]
) -> list[Segment]:
    segments = [
        axis.segment(
            "covered",
            int(r["start_ms"]),
            int(r["end_ms"]),
            f"covered {fmt_ms(r['start_ms'])} → {fmt_ms(r['end_ms'])}",
        )
        for r in covered
    ]
    for gap in gaps:
        what = "gap" if gap.get("recoverable") else "lost gap"
        segments.append(
            axis.segment(
                gap_kind(gap),
                int(gap["start_ms"]),
                int(gap["end_ms"]),
                f"{what} {fmt_ms(gap['start_ms'])} → {fmt_ms(gap['end_ms'])}: {gap.get('note') or ''}",
            )
        )
    return segments
