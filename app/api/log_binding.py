"""Binds the log correlation fields a request names in its path, once per request (common/logs.py):
`execution` (the execution's name, as the Lambdas log it) for `/orders/{execution_arn}/...` and the web page's
`/ui/executions/{execution_arn}/...`, `account` for `/accounts/{account_id}/...` and `/ui/accounts/{account_id}`.
Every line the request logs, in a route, a service or a thread it starts with `carry_context`, carries them; a
line about another execution (a list's row, the watcher's, a start's) binds its own.

A pure ASGI middleware: the fields are bound around the whole request, body streaming included, and a sync
route's threadpool call runs in a copy of that context.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from app.schemas.accounts import ACCOUNT_ID_PATTERN
from lambda_functions.common.logs import log_context
from lambda_functions.coordinator.naming import execution_name_from_arn

_EXECUTION_PATH = re.compile(r"^/(?:ui/executions|orders)/([^/]+)")
_ACCOUNT_PATH = re.compile(r"^/(?:ui/)?accounts/([^/]+)")


def path_fields(path: str) -> dict[str, str]:
    """The correlation fields a request path names (none for /orders/list and the like)."""
    execution = _EXECUTION_PATH.match(path)
    name = execution_name_from_arn(execution.group(1)) if execution else None
    if name is not None:
        return {"execution": name}
    account = _ACCOUNT_PATH.match(path)
    if account and re.fullmatch(ACCOUNT_ID_PATTERN, account.group(1)):  # the route's own rule: no junk logged
        return {"account": account.group(1)}
    return {}


class LogBindingMiddleware:
    """Binds `path_fields` of each HTTP request for as long as the request runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fields = path_fields(scope["path"]) if scope["type"] == "http" else {}
        with log_context(**fields):
            await self.app(scope, receive, send)
