"""Options every command shares (where the service is), and the connection they open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import Annotated

import typer

from bitget_orders.api_client import DEFAULT_URL, ApiClient

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="BITGET_ORDERS_URL",
        help="The service's address (`make run` listens on http://127.0.0.1:8000).",
        rich_help_panel="Service",
    ),
]
Embedded = Annotated[
    bool,
    typer.Option(
        "--embedded",
        help="Run the service inside this command for its duration (the configuration `make run` uses: "
        "environment and .env, SQLite under ./data, the sandbox exchange without Bitget keys); --url is ignored.",
        rich_help_panel="Service",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1.0,
        help="Seconds to wait for each answer of the service.",
        rich_help_panel="Service",
    ),
]
DEFAULT_TIMEOUT_S = 30.0


@contextmanager
def connect(url: str, embedded: bool, timeout_s: float) -> Iterator[ApiClient]:
    """A client of the service at `url`, or of an embedded one started for the block."""
    with ExitStack() as stack:
        if embedded:
            from bitget_orders.embedded import EmbeddedService  # imports the service: only when asked

            url = stack.enter_context(EmbeddedService())
        yield stack.enter_context(closing(ApiClient(url or DEFAULT_URL, timeout_s=timeout_s)))
