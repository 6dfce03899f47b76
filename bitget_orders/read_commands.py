"""Commands that read what the service keeps: list, orders, fills, export, accounts, info.

`orders --format csv|ndjson` writes the API's own export (GET .../export) to stdout byte for byte, so the CSV is
exactly the API's rows; `--format json` is the same rows as one JSON array; the table reads pages.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from bitget_orders import render
from bitget_orders.api_client import DEFAULT_URL, ApiClient, RecordKind, Source, execution_name
from bitget_orders.dates import DateError, parse_ms
from bitget_orders.errors import EXIT_COMPLETE, CliError
from bitget_orders.options import DEFAULT_TIMEOUT_S, Embedded, Timeout, Url, connect

PAGE = 100  # the API's largest page


class Format(StrEnum):
    table = "table"
    csv = "csv"
    ndjson = "ndjson"
    json = "json"


class FileFormat(StrEnum):
    csv = "csv"
    ndjson = "ndjson"
    parquet = "parquet"


OptionalArn = Annotated[
    str | None,
    typer.Argument(
        help="An execution's ARN or name (`bitget-orders list`); or --account ID.", show_default=False
    ),
]
Account = Annotated[
    str | None, typer.Option("--account", help="An account's ledger instead (Bitget userId).")
]
Symbol = Annotated[str | None, typer.Option("--symbol", help="Only this symbol (BTCUSDT).")]
Stream = Annotated[
    str | None, typer.Option("--stream", help="Only this stream (spot_normal, USDT-FUTURES...).")
]
Start = Annotated[
    str | None, typer.Option("--start", help="--account: created at or after (ISO-8601 or epoch ms; UTC).")
]
End = Annotated[
    str | None, typer.Option("--end", help="--account: created before (ISO-8601 or epoch ms; UTC).")
]
Side = Annotated[str | None, typer.Option("--side", help="--account: buy | sell.")]
Status = Annotated[
    str | None, typer.Option("--status", help="--account: Bitget's status (filled, cancelled...).")
]
RecordFormat = Annotated[
    Format, typer.Option("--format", "-f", help="table, or every row as csv | ndjson | json.")
]
TableLimit = Annotated[int | None, typer.Option("--limit", min=1, help="Table: rows to show (default 20).")]


def list_executions(
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Executions to show.")] = 20,
    skip: Annotated[int, typer.Option("--skip", min=0, help="Newest executions to skip.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")] = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Executions, newest first: status, orders, complete or not (GET /orders/list)."""
    with connect(url, embedded, timeout) as client:
        answer = client.executions(skip, limit)
    if json_out:
        render.print_json(answer)
    else:
        render.console().print(render.executions_table(answer))
    return EXIT_COMPLETE


def orders(
    arn: OptionalArn = None,
    account: Account = None,
    symbol: Symbol = None,
    stream: Stream = None,
    start: Start = None,
    end: End = None,
    side: Side = None,
    status: Status = None,
    fmt: RecordFormat = Format.table,
    limit: TableLimit = None,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Saved orders of an execution or an account, newest first: a table, or every row to stdout."""
    filters = Filters(symbol, stream, start, end, side, status)
    return _records("orders", arn, account, filters, fmt, limit, (url, embedded, timeout))


def fills(
    arn: OptionalArn = None,
    account: Account = None,
    symbol: Symbol = None,
    stream: Stream = None,
    start: Start = None,
    end: End = None,
    side: Side = None,
    fmt: RecordFormat = Format.table,
    limit: TableLimit = None,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Saved fills (trades) of an execution or an account, as `orders` shows orders (GET .../fills)."""
    filters = Filters(symbol, stream, start, end, side, None)
    return _records("fills", arn, account, filters, fmt, limit, (url, embedded, timeout))


def export(
    arn: OptionalArn = None,
    account: Account = None,
    symbol: Symbol = None,
    stream: Stream = None,
    start: Start = None,
    end: End = None,
    side: Side = None,
    status: Status = None,
    fmt: Annotated[
        FileFormat, typer.Option("--format", "-f", help="csv | ndjson | parquet.")
    ] = FileFormat.csv,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="File to write (`-`: stdout). Default: named after the source."),
    ] = None,
    fills_: Annotated[bool, typer.Option("--fills", help="Export fills instead of orders.")] = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Every saved order (or fill) of an execution or an account to a file, streamed (GET .../export)."""
    kind: RecordKind = "fills" if fills_ else "orders"
    source = _source(kind, arn, account)
    params = Filters(symbol, stream, start, end, side, status).params(source) | {"format": fmt.value}
    with connect(url, embedded, timeout) as client:
        source = _resolved(client, source)
        path = output or _default_name(source, fmt.value)
        if path == "-":
            _copy(client.export(source, params), sys.stdout.buffer)
            return EXIT_COMPLETE
        written = _write_file(client.export(source, params), Path(path))
    render.say(render.console(stderr=True), f"wrote {written:,} bytes to {path}")
    return EXIT_COMPLETE


def accounts(
    account_id: Annotated[
        str | None, typer.Argument(help="One account: its streams, coverage and gaps.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")] = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Accounts the service keeps (GET /accounts), or one account's coverage and gaps per stream."""
    with connect(url, embedded, timeout) as client:
        answer = client.account(account_id) if account_id else client.accounts()
    if json_out:
        render.print_json(answer)
        return EXIT_COMPLETE
    out = render.console()
    out.print(render.account_table(answer) if account_id else render.accounts_table(answer))
    warning = (answer.get("sync") or {}).get("warning") if account_id else None
    if warning:
        render.say(render.console(stderr=True), f"warning: {warning}")
    return EXIT_COMPLETE


def info(
    json_out: Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")] = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """The service's modes, exchange, database and checks (GET /info)."""
    with connect(url, embedded, timeout) as client:
        answer = client.info()
    if json_out:
        render.print_json(answer)
        return EXIT_COMPLETE
    out = render.console()
    modes = answer.get("modes") or {}
    render.say(out, f"service {client.base_url}: " + ", ".join(f"{k} {v}" for k, v in modes.items()))
    exchange = answer.get("exchange") or {}
    render.say(out, f"exchange: {exchange.get('base_url')} {exchange.get('warning') or ''}".rstrip())
    account = answer.get("account") or {}
    render.say(out, f"account: {account.get('status')}: {account.get('message') or ''}")
    configuration = answer.get("configuration") or {}
    for problem in configuration.get("problems") or []:
        render.say(out, f"problem: {problem}")
    return EXIT_COMPLETE


# Shared parts -----------------------------------------------------------------------------------------------
class Filters:
    """The record filters of the command line, checked against what the source's endpoint accepts."""

    def __init__(
        self,
        symbol: str | None,
        stream: str | None,
        start: str | None,
        end: str | None,
        side: str | None,
        status: str | None,
    ) -> None:
        self.symbol = symbol.strip().upper() if symbol else None
        self.stream, self.side, self.status = stream, side, status
        try:
            self.start_ms = parse_ms(start, "--start") if start else None
            self.end_ms = parse_ms(end, "--end") if end else None
        except DateError as exc:
            raise CliError(str(exc)) from None

    def params(self, source: Source) -> dict[str, Any]:
        params: dict[str, Any] = {"symbol": self.symbol, "stream": self.stream}
        account_only = {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "side": self.side,
            "status": self.status,
        }
        given = [name for name, value in account_only.items() if value is not None]
        if source.execution_arn is not None and given:
            names = ", ".join("--" + name.removesuffix("_ms") for name in given)
            raise CliError(
                f"{names}: only with --account (an execution's records filter by --symbol and --stream); "
                "or use --account with the execution's account"
            )
        return params | account_only


def _source(kind: RecordKind, arn: str | None, account: str | None) -> Source:
    if (arn is None) == (account is None):
        raise CliError(f"give an execution ARN or --account ID (one of them) to read {kind} from")
    return Source(kind, execution_arn=arn, account_id=account)


def _resolved(client: ApiClient, source: Source) -> Source:
    """The source with its execution named by ARN (a name was given: `list` shows names)."""
    if source.execution_arn is None:
        return source
    return replace(source, execution_arn=client.resolve(source.execution_arn))


def _records(
    kind: RecordKind,
    arn: str | None,
    account: str | None,
    filters: Filters,
    fmt: Format,
    limit: int | None,
    service: tuple[str, bool, float],
) -> int:
    source = _source(kind, arn, account)
    params = filters.params(source)
    if limit is not None and fmt is not Format.table:
        raise CliError(f"--limit is for the table: --format {fmt.value} writes every row (pipe it into head)")
    with connect(*service) as client:
        source = _resolved(client, source)
        if fmt is Format.table:
            _table(client, source, params, limit or 20)
        elif fmt is Format.json:
            _json_array(client.export(source, params | {"format": "ndjson"}), sys.stdout)
        else:
            _copy(client.export(source, params | {"format": fmt.value}), sys.stdout.buffer)
    return EXIT_COMPLETE


def _table(client: ApiClient, source: Source, params: dict[str, Any], limit: int) -> None:
    records: list[dict[str, Any]] = []
    page: dict[str, Any] = {}
    cursor = None
    while len(records) < limit:
        query = params | {"limit": min(PAGE, limit - len(records)), "include_raw": False, "cursor": cursor}
        page = client.page(source, query)
        records += _page_records(page, source.kind)
        cursor = (page.get("pagination") or {}).get("next_cursor")
        if not (page.get("pagination") or {}).get("has_more") or not cursor:
            break
    render.console().print(render.records_table(records, f"{source.kind.capitalize()}, newest first"))
    pagination = page.get("pagination") or {}
    total = pagination.get("total_orders")
    more = (
        f" of {total:,}"
        if isinstance(total, int)
        else (" (more exist)" if pagination.get("has_more") else "")
    )
    render.say(
        render.console(stderr=True),
        f"{len(records)}{more} {source.kind}; --limit N for more, --format csv for every row",
    )


def _page_records(page: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    rows = page.get(kind)
    if rows is None:  # a fills page may name its list otherwise; take the one list it has
        rows = next((value for value in page.values() if isinstance(value, list)), [])
    return [row for row in rows if isinstance(row, dict)]


def _copy(chunks: Iterable[bytes], out: IO[bytes]) -> int:
    written = 0
    for chunk in chunks:
        out.write(chunk)
        written += len(chunk)
    out.flush()
    return written


def _write_file(chunks: Iterable[bytes], path: Path) -> int:
    """Writes next to `path` and renames at the end: an interrupted export never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            written = _copy(chunks, out)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from (line for line in complete if line.strip())
    if pending.strip():
        yield pending


def _json_array(chunks: Iterable[bytes], out: IO[str]) -> None:
    """NDJSON rows as one JSON array, streamed (one row in memory at a time)."""
    out.write("[")
    for index, line in enumerate(_lines(chunks)):
        out.write(("," if index else "") + "\n" + line.decode("utf-8"))
    out.write("\n]\n")
    out.flush()


def _default_name(source: Source, ext: str) -> str:
    if source.execution_arn is not None:
        return f"{execution_name(source.execution_arn)}-{source.kind}.{ext}"
    return f"account-{source.account_id}-{source.kind}.{ext}"
