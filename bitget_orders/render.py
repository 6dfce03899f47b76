"""Tables and lines for people (rich). Data and summaries go to stdout; what happens meanwhile (the start, the
progress, hints) to stderr, so `> file` keeps the result and the terminal keeps the story."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bitget_orders.api_client import execution_name
from bitget_orders.dates import describe_window, duration, iso
from bitget_orders.outcome import StreamRow, headline, is_complete, is_fill_stream, summary_of
from bitget_orders.progress import ProgressTracker

WIDE = 160  # tables written to a file or a pipe: wide enough for a row of orders and Bitget's messages


def console(*, stderr: bool = False) -> Console:
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = WIDE
    return out


def print_json(answer: Any) -> None:
    """The API's answer as one JSON line on stdout (`--json`)."""
    sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def say(out: Console, text: str) -> None:
    """A plain line: no markup, no highlighting, never hard-wrapped (ARNs and commands stay copyable)."""
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def started(err: Console, answer: dict[str, Any]) -> None:
    """What POST /orders (or a sync, a resume) answered: the ARN, what is read, the window actually used."""
    say(err, f"started {answer.get('executionArn')}")
    symbols = answer.get("symbols") or []
    if answer.get("scope") == "account":
        what = "the whole account" + (" (incremental sync since the last one)" if answer.get("since") else "")
        say(err, f"  reading: {what}; account units {', '.join(symbols)}")
    elif symbols:
        say(err, f"  symbols: {', '.join(symbols)}")
    start, end = answer.get("start_ms"), answer.get("end_ms")
    if isinstance(start, int) and isinstance(end, int):
        say(err, f"  window:  {describe_window(start, end)} [start_ms {start}, end_ms {end}]")
    if answer.get("window_note"):
        say(err, f"  note:    {answer['window_note']}")
    if answer.get("sync_note"):
        say(err, f"  note:    {answer['sync_note']}")
    say(err, f"  options: {_options(answer)}")


def _options(answer: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("include_plan_orders", "plan orders"),
        ("include_fills", "fills"),
        ("include_simulation", "demo futures"),
    ):
        if answer.get(key) is not None:
            parts.append(f"{label} {'yes' if answer[key] else 'no'}")
    if answer.get("account_id"):
        parts.append(f"account {answer['account_id']} ({answer.get('account_check') or 'not checked'})")
    return ", ".join(parts) or "service defaults"


def outcome(out: Console, answer: dict[str, Any], rows: Sequence[StreamRow], *, collapsed: bool) -> None:
    """The end of a run: the table per symbol and stream, what it cost, where the orders are, the verdict."""
    summary = summary_of(answer)
    if rows:
        out.print(stream_table(rows, summary, collapsed=collapsed))
        if collapsed:
            missing = [row for row in rows if not row.complete]
            if missing:
                out.print(stream_table(missing, {}, collapsed=False, title="Not complete"))
    by_symbol = summary.get("orders_by_symbol") or {}
    if (answer.get("result") or {}).get("scope") == "account" and by_symbol:
        say(out, "orders by symbol: " + ", ".join(f"{k} {v:,}" for k, v in by_symbol.items()))
    for line in _facts(answer, summary):
        say(out, line)
    style = "bold green" if is_complete(answer) else "bold red"
    out.print(Text(headline(answer), style=style), soft_wrap=True)


def stream_table(
    rows: Iterable[StreamRow], summary: dict[str, Any], *, collapsed: bool, title: str | None = None
) -> Table:
    rows = list(rows)
    fills = any(is_fill_stream(row.stream) for row in rows)
    what = "Orders and fills" if fills else "Orders"
    table = Table(title=title or (f"{what} by stream" if collapsed else f"{what} by symbol and stream"))
    table.add_column("symbol")
    table.add_column("stream")
    table.add_column("orders/fills" if fills else "orders", justify="right")
    table.add_column("complete")
    for row in rows:
        symbol = row.symbol or ("all symbols" if collapsed else "(account)")
        orders = f"{row.orders:,}" if row.orders is not None else "?"
        verdict = Text("yes", style="green") if row.complete else Text(f"NO: {row.why}", style="red")
        table.add_row(symbol, row.stream or "(all streams)", orders, verdict)
    total, total_fills = summary.get("total_orders"), summary.get("total_fills")
    if isinstance(total, int):
        table.add_section()
        table.add_row("total", "orders" if fills else "", f"{total:,}", "")
    if isinstance(total_fills, int) and fills:
        table.add_row("total", "fills", f"{total_fills:,}", "")
    return table


def _facts(answer: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    lines = []
    metrics = summary.get("performance_metrics") or {}
    details = answer.get("aws_execution_details") or {}
    seconds = details.get("duration_seconds")
    requests = metrics.get("requests")
    if isinstance(requests, int):
        # over several runs (resumed) the duration spans the pauses between them: no meaningful rate
        single_run = (details.get("runs") or 1) == 1
        rate = ""
        if isinstance(seconds, int | float) and seconds > 0 and single_run:
            rate = f" ({requests / seconds:.1f}/s)"
        lines.append(
            f"requests: {requests:,}{rate}, retries {metrics.get('retries', 0)}, "
            f"HTTP 429 {metrics.get('http_429', 0)}; took {duration(seconds)}"
        )
    mode = (answer.get("result") or {}).get("account_mode")
    if mode:
        lines.append(f"account mode: {mode}")
    not_found = summary.get("symbols_not_found") or []
    if not_found:
        lines.append(f"not found on Bitget (check the names): {', '.join(not_found)}")
    if summary.get("rejected_rows"):
        lines.append(
            f"rows Bitget sent that could not be used: {summary['rejected_rows']} (kept in result.json)"
        )
    database = answer.get("database_info") or {}
    if database:
        lines.append(
            f"database: {database.get('state')}, {database.get('orders_in_db', 0):,} orders"
            + (f" ({database['error']})" if database.get("error") else "")
        )
    arn = answer.get("executionArn")
    if database.get("state") == "saved" and database.get("orders_in_db"):
        lines.append(f"read them: bitget-orders orders {execution_name(str(arn))} --format csv > orders.csv")
    return lines


def executions_table(answer: dict[str, Any]) -> Table:
    """GET /orders/list as a table, newest first."""
    table = Table(title=f"Executions ({answer.get('total_executions', 0)} in all)")
    for name in ("created", "execution", "symbols", "status", "orders", "complete"):
        table.add_column(name, justify="right" if name == "orders" else "left", overflow="fold")
    table.columns[1].no_wrap = True  # the name is what commands take: keep it whole and copyable
    for row in answer.get("executions") or []:
        complete = row.get("complete")
        count = row.get("incomplete_streams_count") or 0
        verdict = "-" if complete is None else "yes" if complete else f"NO ({count} stream(s))"
        symbols = row.get("symbols") or []
        table.add_row(
            str(row.get("created_at") or "")[:19].replace("T", " "),
            execution_name(str(row.get("execution_arn", ""))),
            ", ".join(symbols[:4]) + (f" +{len(symbols) - 4}" if len(symbols) > 4 else ""),
            str(row.get("status")),
            f"{row['total_orders']:,}" if isinstance(row.get("total_orders"), int) else "-",
            verdict,
        )
    return table


ORDER_COLUMNS = (
    ("time", "c_time"),
    ("symbol", "symbol"),
    ("stream", "stream"),
    ("side", "side"),
    ("type", "order_type"),
    ("status", "status"),
    ("price", "price"),
    ("avg price", "price_avg"),
    ("size", "size"),
    ("fee", "fee"),
    ("order id", "order_id"),
    ("trade id", "trade_id"),
)


def records_table(records: Sequence[dict[str, Any]], title: str) -> Table:
    """Saved orders (or fills) as a table: the usual columns that these records have."""
    present = [(label, key) for label, key in ORDER_COLUMNS if any(key in record for record in records)]
    table = Table(title=title)
    for label, _key in present:
        numeric = label in ("price", "avg price", "size", "fee")
        whole = label in (
            "time",
            "order id",
            "trade id",
        )  # read and copied whole; amounts fold (never elided)
        table.add_column(label, justify="right" if numeric else "left", overflow="fold", no_wrap=whole)
    for record in records:
        table.add_row(*(_cell(key, record.get(key)) for _label, key in present))
    return table


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "c_time" and isinstance(value, int):
        return iso(value)
    return str(value)


def accounts_table(answer: dict[str, Any]) -> Table:
    table = Table(title="Accounts")
    for name in ("account", "orders", "first order", "last order", "streams"):
        table.add_column(name, justify="right" if name == "orders" else "left")
    for account in answer.get("accounts") or []:
        streams = account.get("streams") or {}
        table.add_row(
            str(account.get("account_id")),
            f"{account.get('orders_stored', 0):,}",
            iso(account.get("first_order_ms")),
            iso(account.get("last_order_ms")),
            ", ".join(f"{name} {count:,}" for name, count in streams.items()),
        )
    return table


def account_table(answer: dict[str, Any]) -> Table:
    """GET /accounts/{id}: per stream, what is stored, covered, and the gaps (recoverable or not)."""
    table = Table(
        title=f"Account {answer.get('account_id')}: {answer.get('orders_stored', 0):,} orders stored"
    )
    for name in ("stream", "orders", "covered", "gaps"):
        table.add_column(name, justify="right" if name == "orders" else "left", overflow="fold")
    for stream in answer.get("streams") or []:
        covered = "; ".join(describe_window(c["start_ms"], c["end_ms"]) for c in stream.get("covered") or [])
        gaps = "; ".join(_gap(gap) for gap in stream.get("gaps") or [])
        table.add_row(
            str(stream.get("stream")), f"{stream.get('orders_stored', 0):,}", covered or "-", gaps or "none"
        )
    return table


def _gap(gap: dict[str, Any]) -> str:
    state = "recoverable" if gap.get("recoverable") else "LOST (older than Bitget's 90 days)"
    return f"{describe_window(gap['start_ms'], gap['end_ms'])} {state}"


def running(out: Console, answer: dict[str, Any]) -> None:
    """A status seen while it runs: how far it is, as the progress line says it."""
    say(out, f"{answer.get('executionArn')}: {ProgressTracker().observe(answer).line().strip()}")
