"""The `bitget-orders` command: its commands, and the one boundary where errors become messages and exit codes.

Every command returns its exit code (bitget_orders/errors.py): 0 complete, 2 incomplete, 1 error. Click's own
"bad usage" code is 2, which here means "incomplete", so usage errors are caught and exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from bitget_orders import read_commands, render, run_commands
from bitget_orders.errors import EXIT_CODES_HELP, EXIT_ERROR, CliError

HELP = f"""Extract and read your Bitget order history through the bitget-orders service.

Start the service with `make run` (or run it inside a command with --embedded), then e.g.
`bitget-orders extract BTCUSDT ETHUSDT`, `bitget-orders extract --all`, `bitget-orders orders ARN --format csv`.

Dates: ISO-8601 (2026-09-01, 2026-09-01T12:00:00Z, 2026-09-01T12:00+02:00; a date or time without a zone is UTC)
or epoch milliseconds. The service's address: --url or BITGET_ORDERS_URL (default http://127.0.0.1:8000).

{EXIT_CODES_HELP}

Docs: docs/cli.md."""

app = typer.Typer(
    name="bitget-orders",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("extract")(run_commands.extract)
app.command("status")(run_commands.status)
app.command("list")(read_commands.list_executions)
app.command("orders")(read_commands.orders)
app.command("fills")(read_commands.fills)
app.command("export")(read_commands.export)
app.command("sync")(run_commands.sync)
app.command("resume")(run_commands.resume)
app.command("cancel")(run_commands.cancel)
app.command("accounts")(read_commands.accounts)
app.command("info")(read_commands.info)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns its exit code (the console script exits with it)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="bitget-orders", standalone_mode=False)
    except typer.TyperException as exc:  # bad arguments: 1 (Click's usage code, 2, means "incomplete" here)
        show = getattr(exc, "show", None)
        show() if callable(show) else _error(exc.format_message())
        return EXIT_ERROR
    except typer.Abort:
        _error("aborted")
        return EXIT_ERROR
    except CliError as exc:
        _error(exc.message)
        return EXIT_ERROR
    except BrokenPipeError:  # `... | head` closed the pipe: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR
    return result if isinstance(result, int) else 0


def _error(message: str) -> None:
    render.console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


if __name__ == "__main__":
    raise SystemExit(main())
