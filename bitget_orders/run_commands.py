"""Commands that start or steer executions: extract, sync, resume, cancel, and status (which can follow one)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bitget_orders import render
from bitget_orders.api_client import DEFAULT_URL, ApiClient, execution_name
from bitget_orders.dates import DateError, parse_ms
from bitget_orders.errors import EXIT_COMPLETE, EXIT_INCOMPLETE, CliError
from bitget_orders.follow import SAVING, show_outcome, wait_for_end
from bitget_orders.options import DEFAULT_TIMEOUT_S, Embedded, Timeout, Url, connect
from bitget_orders.outcome import exit_code

Plan = Annotated[
    bool | None,
    typer.Option(
        "--plan/--no-plan",
        help="Also read plan (trigger) orders. Default: the service's (INCLUDE_PLAN_ORDERS).",
    ),
]
Fills = Annotated[
    bool | None,
    typer.Option(
        "--fills/--no-fills",
        help="Also read fills (include_fills). Default: the service's (yes for the whole account, no for symbols).",
    ),
]
Simulation = Annotated[
    bool | None,
    typer.Option("--simulation/--no-simulation", help="Also read demo-trading futures (SUSDT-FUTURES...)."),
]
SpotPlanSymbols = Annotated[
    list[str] | None,
    typer.Option(
        "--spot-plan-symbol", help="Whole account: one more symbol whose spot plan orders to read (repeat)."
    ),
]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait", help="Follow it with live progress to its end (default), or just start it."
    ),
]
JsonOut = Annotated[
    bool, typer.Option("--json", help="Print the API's final status answer as JSON instead of tables.")
]
Arn = Annotated[
    str, typer.Argument(help="The execution's ARN, or its name (`bitget-orders list` shows them).")
]


def extraction_body(
    symbols: list[str],
    whole_account: bool,
    since: str | None,
    start: str | None,
    end: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """POST /orders' body from the arguments; CliError (exit 1) for combinations that cannot work."""
    if symbols and (whole_account or since):
        raise CliError("give symbols, or --all / --since last-sync for the whole account, not both")
    if since is not None and since.replace("_", "-") != "last-sync":
        raise CliError(
            f"--since {since!r}: the only value is `last-sync` (an incremental sync of the account)"
        )
    if not symbols and not whole_account and since is None:
        raise CliError(
            "name the symbols (bitget-orders extract BTCUSDT ETHUSDT) or pass --all for the whole account"
        )
    body: dict[str, Any] = {"symbols": list(symbols)} if symbols else {"symbols": "all"}
    if since is not None:
        body = {"since": "last_sync"}
    try:
        if start is not None:
            body["start_ms"] = parse_ms(start, "--start")
        if end is not None:
            body["end_ms"] = parse_ms(end, "--end")
    except DateError as exc:
        raise CliError(str(exc)) from None
    return body | option_fields(options)


def option_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The per-request options given on the command line (absent ones keep the service's defaults)."""
    names = {
        "plan": "include_plan_orders",
        "fills": "include_fills",
        "simulation": "include_simulation",
        "spot_plan_symbols": "spot_plan_symbols",
    }
    return {names[key]: value for key, value in options.items() if value not in (None, [])}


def extract(
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Bitget v2 symbols, e.g. BTCUSDT ETHUSDT.")
    ] = None,
    whole_account: Annotated[
        bool, typer.Option("--all", help="The whole account: every stream, no symbol list needed.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="`last-sync`: only what is new since the account's last sync (whole account)."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Window start: ISO-8601 (2026-09-01, 2026-09-01T12:00:00Z, +02:00; no zone = UTC) or epoch ms. "
            "Default: 90 days before --end.",
        ),
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Window end, same forms. Default: now.")] = None,
    plan: Plan = None,
    fills: Fills = None,
    simulation: Simulation = None,
    spot_plan_symbol: SpotPlanSymbols = None,
    wait: Wait = True,
    json_out: JsonOut = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Start an extraction and follow it: live progress, then orders per symbol and stream, complete or why not."""
    options = {"plan": plan, "fills": fills, "simulation": simulation, "spot_plan_symbols": spot_plan_symbol}
    body = extraction_body(symbols or [], whole_account, since, start, end, options)
    _check_wait(wait, embedded)
    with connect(url, embedded, timeout) as client:
        return _run(client, client.start(body), wait=wait, json_out=json_out, embedded=embedded)


def sync(
    account_id: Annotated[
        str, typer.Argument(help="Bitget's userId of the account (`bitget-orders accounts`).")
    ],
    plan: Plan = None,
    fills: Fills = None,
    simulation: Simulation = None,
    spot_plan_symbol: SpotPlanSymbols = None,
    wait: Wait = True,
    json_out: JsonOut = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Sync an account: read only what is new since its last sync (POST /accounts/{id}/sync), and follow it."""
    body = option_fields(
        {"plan": plan, "fills": fills, "simulation": simulation, "spot_plan_symbols": spot_plan_symbol}
    )
    _check_wait(wait, embedded)
    with connect(url, embedded, timeout) as client:
        return _run(client, client.sync(account_id, body), wait=wait, json_out=json_out, embedded=embedded)


def resume(
    arn: Arn,
    wait: Wait = True,
    json_out: JsonOut = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Resume a failed, cancelled or incomplete execution from its checkpoints (same ARN), and follow it."""
    _check_wait(wait, embedded)
    with connect(url, embedded, timeout) as client:
        arn = client.resolve(arn)
        answer = client.resume(arn)
        err = render.console(stderr=True)
        render.say(
            err,
            f"resumed {answer.get('executionArn')} (was {answer.get('previous_status')}; run {answer.get('run')})",
        )
        if not wait:
            render.say(err, f"follow it: bitget-orders status {execution_name(arn)} --wait")
            return EXIT_COMPLETE
        return _follow(client, arn, json_out=json_out, embedded=embedded)


def cancel(
    arn: Arn,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until it has stopped and show what it kept.")
    ] = False,
    json_out: JsonOut = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """Stop a running execution at its next page; what it fetched stays readable (it ends ABORTED)."""
    with connect(url, embedded, timeout) as client:
        arn = client.resolve(arn)
        answer = client.cancel(arn)
        render.say(
            render.console(stderr=True),
            f"{answer.get('status')}: {arn} stops at its next page; what it fetched is kept",
        )
        if not wait:
            return EXIT_COMPLETE
        return _follow(client, arn, json_out=json_out, embedded=embedded)


def status(
    arn: Arn,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it with live progress until it ends.")] = False,
    json_out: JsonOut = False,
    url: Url = DEFAULT_URL,
    embedded: Embedded = False,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
) -> int:
    """An execution's status: progress while it runs; at its end, orders per symbol and stream, complete or why not."""
    with connect(url, embedded, timeout) as client:
        arn = client.resolve(arn)
        answer = client.status(arn)
        saving = (answer.get("database_info") or {}).get("state") in SAVING
        if answer.get("status") != "RUNNING" and not saving:
            return _finish(client, answer, json_out)
        if wait:
            return _follow(client, arn, json_out=json_out, embedded=embedded)
        if json_out:
            render.print_json(answer)
        else:
            render.running(render.console(), answer)
        return EXIT_INCOMPLETE


def _check_wait(wait: bool, embedded: bool) -> None:
    if embedded and not wait:
        raise CliError(
            "--no-wait cannot be used with --embedded: the embedded service stops when this command ends. "
            "Start the service with `make run` and use --url, or drop --no-wait"
        )


def _run(client: ApiClient, started: dict[str, Any], *, wait: bool, json_out: bool, embedded: bool) -> int:
    render.started(render.console(stderr=True), started)
    arn = str(started["executionArn"])
    if not wait:
        if json_out:
            render.print_json(started)
        else:
            render.say(render.console(), arn)
            render.say(
                render.console(stderr=True), f"follow it: bitget-orders status {execution_name(arn)} --wait"
            )
        return EXIT_COMPLETE
    unit = "account units" if started.get("scope") == "account" else "symbols"
    return _follow(client, arn, json_out=json_out, embedded=embedded, unit=unit)


def _follow(client: ApiClient, arn: str, *, json_out: bool, embedded: bool, unit: str = "symbols") -> int:
    err = render.console(stderr=True)
    return _finish(client, wait_for_end(client, arn, err, embedded=embedded, unit=unit), json_out)


def _finish(client: ApiClient, answer: dict[str, Any], json_out: bool) -> int:
    if json_out:
        render.print_json(answer)
        return exit_code(answer)
    return show_outcome(client, answer, render.console())
