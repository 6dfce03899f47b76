"""Following an execution to its end: poll GET /orders/{arn} with live progress until it has ended and its
orders are saved, then count the orders of each summary row and show the outcome."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from rich.console import Console

from bitget_orders import render
from bitget_orders.api_client import ApiClient, Source, execution_name
from bitget_orders.errors import ApiError, CliError
from bitget_orders.outcome import (
    StreamRow,
    collapse_by_stream,
    exit_code,
    is_fill_stream,
    stream_rows,
    summary_of,
)
from bitget_orders.progress import ProgressDisplay, ProgressTracker

POLL_S = 0.5
MAX_COUNTED_ROWS = 60  # beyond this many symbol/stream rows the table shows one row per stream
SAVING = frozenset({"pending", "saving"})


def wait_for_end(
    client: ApiClient,
    arn: str,
    err: Console,
    *,
    embedded: bool = False,
    unit: str = "symbols",
    poll_s: float = POLL_S,
) -> dict[str, Any]:
    """The final status answer (ended, and its orders saved or their saving failed), showing progress."""
    tracker = ProgressTracker(unit)
    try:
        with ProgressDisplay(err) as display:
            while True:
                answer = client.status(arn)
                ended = answer.get("status") != "RUNNING"
                saving = (answer.get("database_info") or {}).get("state") in SAVING
                display.show(tracker.observe(answer), final=ended and not saving)
                if ended and not saving:
                    return answer
                time.sleep(poll_s)
    except KeyboardInterrupt:
        raise CliError(_interrupted(arn, embedded)) from None


def _interrupted(arn: str, embedded: bool) -> str:
    name = execution_name(arn)
    if embedded:
        return (
            f"interrupted: the embedded service stopped with this command, so {arn} stopped too. It goes on "
            "from its checkpoints the next time the service starts (`make run`; AUTO_RESUME), or with "
            f"`bitget-orders resume {name}`"
        )
    return (
        f"stopped waiting; {arn} goes on in the service. Follow it with `bitget-orders status {name} --wait`, "
        f"or stop it with `bitget-orders cancel {name}`"
    )


def show_outcome(client: ApiClient, answer: dict[str, Any], out: Console) -> int:
    """The summary table (orders per symbol and stream, complete or why not) and the exit code."""
    rows = stream_rows(summary_of(answer))
    collapsed = len(rows) > MAX_COUNTED_ROWS
    if collapsed:
        rows = collapse_by_stream(rows)
    elif (answer.get("database_info") or {}).get("state") == "saved":
        rows = count_rows(client, str(answer.get("executionArn")), rows)
    render.outcome(out, answer, rows, collapsed=collapsed)
    return exit_code(answer)


def count_rows(client: ApiClient, arn: str, rows: list[StreamRow]) -> list[StreamRow]:
    """Each row's records as saved: one 1-row page per row, filtered by its symbol and stream (its total);
    fill streams from the execution's fills (GET /orders/{arn}/fills)."""
    counted = []
    for row in rows:
        if row.orders is None and row.stream is not None:
            source = Source("fills" if is_fill_stream(row.stream) else "orders", execution_arn=arn)
            params = {"limit": 1, "include_raw": False, "symbol": row.symbol, "stream": row.stream}
            try:
                pagination = client.page(source, params).get("pagination") or {}
            except ApiError:  # a count is a nicety: the table shows "?" rather than failing the run
                pagination = {}
            total = next(
                (pagination[k] for k in ("total_orders", "total_fills", "total") if k in pagination), None
            )
            row = replace(row, orders=total if isinstance(total, int) else None)
        counted.append(row)
    return counted
