"""What each page shows, asked of the same services the JSON routes call (no second code path).

- the executions list: `OrdersService.list_executions` (GET /orders/list) and `list_accounts` (GET /accounts);
- one execution: `OrdersService.status` (GET /orders/{arn}), the execution's record, and the workers' progress
  read from their checkpoints (app/services/execution_progress.py, also GET /orders/{arn}/progress);
- one account: the GET /accounts/{id} handler itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException

from app.api.deps import Runtime
from app.api.routes.accounts import get_account
from app.schemas.orders import OrdersRequest
from app.services.orders_service import execution_name
from app.ui import views

PAGE_SIZE = 50
EXPORT_FORMATS = ("csv", "ndjson", "parquet")


def executions_context(runtime: Runtime, skip: int) -> dict[str, Any]:
    listing = runtime.orders.list_executions(skip, PAGE_SIZE)
    now = dt.datetime.now(dt.UTC)
    rows = [views.execution_row(row, now) for row in listing.rows]
    total = listing.total
    return {
        "rows": rows,
        "total": total,
        "skip": skip,
        "page_size": PAGE_SIZE,
        "newer": max(0, skip - PAGE_SIZE) if skip > 0 else None,
        "older": skip + PAGE_SIZE if skip + PAGE_SIZE < total else None,
        "any_running": any(row.status == "RUNNING" for row in rows),
    }


def index_context(runtime: Runtime, skip: int) -> dict[str, Any]:
    accounts = runtime.db.orders.list_accounts()
    return executions_context(runtime, skip) | {
        "accounts": [a for a in accounts.accounts if a.account_id != "unknown"],
        "fills_option": "include_fills" in OrdersRequest.model_fields,  # once the API has it (issue 11)
        "defaults": {
            "plan": runtime.settings.include_plan_orders,
            "window_days": runtime.settings.default_window_days,
        },
    }


def execution_context(runtime: Runtime, execution_arn: str) -> dict[str, Any]:
    """Raises ExecutionNotFoundError (404) like GET /orders/{arn}."""
    answer = runtime.orders.status(execution_arn)
    record = runtime.db.executions.get_execution(execution_arn) or {}
    progress = runtime.orders.progress(execution_arn)  # what GET /orders/{arn}/progress answers
    result = _mapping(answer.result)
    summary = _mapping(result.get("summary"))
    status = answer.status
    complete = summary.get("complete") if "complete" in summary else record.get("complete")
    database = answer.database_info
    saving = (
        database is not None
        and database.state in ("pending", "saving")
        and status in ("SUCCEEDED", "ABORTED")
    )
    state_progress = answer.progress or {}
    account = record.get("account_id") or result.get("account_id")
    return {
        "arn": execution_arn,
        "name": execution_name(execution_arn),
        "status": status,
        "badge": views.badge(status, complete if isinstance(complete, bool) else None),
        "live": status == "RUNNING" or saving,
        "message": outcome_message(status, complete, result),
        "symbols": views.symbols_text(record.get("symbols") or []),
        "window": views.window_text(record.get("start_ms"), record.get("end_ms")),
        "account_id": account if account and account != "unknown" else None,
        "started": views.fmt_time(answer.startDate or record.get("created_at")),
        "duration": views.fmt_duration(
            answer.processing_time_seconds
            if status == "RUNNING"
            else views.duration_of(record | {"result": result, "status": status})
        ),
        "symbols_done": state_progress.get("symbols_done") if status == "RUNNING" else None,
        "symbols_total": state_progress.get("symbols_total") or len(record.get("symbols") or []),
        "progress": progress,
        "timings": views.timing_rows(progress),
        "orders_by_stream": _counts(summary.get("orders_by_stream")),
        "fills_by_stream": _counts(summary.get("fills_by_stream")),
        "orders_by_symbol": _counts(summary.get("orders_by_symbol")),
        "total_orders": summary.get("total_orders"),
        "total_fills": summary.get("total_fills"),
        "incomplete_streams": _incomplete(summary, record),
        "incomplete_count": summary.get("incomplete_streams_count") or record.get("incomplete_streams_count"),
        "error_summary": _counts(
            {
                k: v.get("count")
                for k, v in _mapping(summary.get("error_summary")).items()
                if isinstance(v, Mapping)
            }
        ),
        "symbols_not_found": summary.get("symbols_not_found") or [],
        "error": answer.error,
        "cause": answer.cause,
        "database": database,
        "result_url": result.get("s3_data_url"),
        "export_formats": EXPORT_FORMATS,
        "can_cancel": status == "RUNNING",
        "can_resume": status in ("FAILED", "TIMED_OUT", "ABORTED")
        or (status == "SUCCEEDED" and complete is False),
    }


def account_context(runtime: Runtime, account_id: str) -> dict[str, Any]:
    """Raises HTTPException(404) like GET /accounts/{id}."""
    summary = get_account(account_id, runtime.db, runtime).model_dump(mode="json")
    axis = views.coverage_axis(summary)
    streams: list[dict[str, Any]] = []
    gaps: list[
        tuple[str, dict[str, Any]]
    ] = []  # holes between extractions (the time since the last: `pending`)
    pending: list[int] = []
    for stream in summary["streams"]:
        name = stream["stream"]
        gaps += [(name, gap) for gap in stream["gaps"] if not gap["until_now"]]
        pending += [gap["start_ms"] for gap in stream["gaps"] if gap["until_now"]]
        symbols = []
        for symbol in stream["symbols"]:
            gaps += [(f"{name} · {symbol['symbol']}", gap) for gap in symbol["gaps"] if not gap["until_now"]]
            pending += [gap["start_ms"] for gap in symbol["gaps"] if gap["until_now"]]
            segments = views.coverage_segments(axis, symbol["covered"], symbol["gaps"])
            symbols.append({"name": symbol["symbol"], "segments": segments})
        streams.append(
            {
                "name": name,
                "orders": stream["orders_stored"],
                "scope": stream["coverage_scope"],
                "segments": views.coverage_segments(axis, stream["covered"], stream["gaps"]),
                "symbols": symbols,
                "last": stream.get("last_extraction"),
            }
        )
    sync = summary.get("sync") or {}
    return {
        "account_id": account_id,
        "summary": summary,
        "axis": axis,
        "ticks": axis.ticks(),
        "retention": axis.segment("retention", summary["retention_edge_ms"], axis.end_ms, ""),
        "streams": streams,
        "gaps": gaps,
        "not_extracted_since": min(pending) if pending else None,
        "sync": sync,
        "last_extraction": summary.get("last_extraction"),
    }


def outcome_message(status: str, complete: Any, result: Mapping[str, Any]) -> str | None:
    """One English sentence on how the execution ended. The API's `message` keeps the original's Spanish for
    its clients; the aggregator's sentence for an incomplete extraction is English and names what is missing."""
    if status == "RUNNING":
        return None
    if status == "ABORTED":
        return "Cancelled on request: what was fetched until then is kept and saved; resume to go on."
    if status != "SUCCEEDED":
        return "The execution did not finish: see the error below; resume it to go on from its checkpoints."
    if complete is False:
        text = result.get("message")
        return (
            str(text)
            if isinstance(text, str) and text.startswith("Extraction incomplete")
            else ("Some streams could not be paged to their end: see the errors below.")
        )
    if complete is True:
        return "Complete: every stream of every symbol was paged to its end."
    return None


def not_found(exc: Exception) -> str:
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _counts(value: Any) -> list[tuple[str, int]]:
    items = _mapping(value).items()
    return sorted(((str(k), int(v)) for k, v in items if isinstance(v, int)), key=lambda kv: (-kv[1], kv[0]))


def _incomplete(summary: Mapping[str, Any], record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = summary.get("incomplete_streams") if summary else None
    if not isinstance(entries, list):
        entries = record.get("incomplete_streams") or []
    return [e for e in entries if isinstance(e, Mapping)]
