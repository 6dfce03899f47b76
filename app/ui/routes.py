"""The web page: GET /ui (executions, start form), /ui/executions/{arn}, /ui/accounts/{id}, and the fragments
their scripts refresh while something runs. Server-rendered (Jinja2); every action the page offers (start,
sync, cancel, resume) is a fetch() to the JSON API itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import RuntimeDep
from app.orchestration.base import ExecutionNotFoundError, OrchestrationError
from app.schemas.accounts import ACCOUNT_ID_PATTERN
from app.schemas.orders import EXECUTION_ARN_PATTERN
from app.ui import pages, views

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    ms=views.fmt_ms, time=views.fmt_time, duration=views.fmt_duration, count=views.fmt_count
)
router = APIRouter(prefix="/ui", include_in_schema=False)
Skip = Annotated[int, Query(ge=0, le=10_000_000)]


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    # Links to the fills' pages and exports appear once the API serves them (issue 11's routes).
    context = context | {"fills_api": _has_path(request, "/orders/{execution_arn}/fills/export")}
    return templates.TemplateResponse(request, name, context, status_code=status)


def _has_path(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.routes)


def _problem(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return _page(request, "problem.html", {"title": title, "detail": detail}, status)


@router.get("", response_class=HTMLResponse)
def index(request: Request, runtime: RuntimeDep, skip: Skip = 0) -> HTMLResponse:
    return _page(request, "index.html", pages.index_context(runtime, skip))


@router.get("/fragments/executions", response_class=HTMLResponse)
def executions_fragment(request: Request, runtime: RuntimeDep, skip: Skip = 0) -> HTMLResponse:
    return _page(request, "_executions.html", pages.executions_context(runtime, skip))


@router.get("/executions/{execution_arn}/live", response_class=HTMLResponse)
def execution_fragment(request: Request, execution_arn: str, runtime: RuntimeDep) -> HTMLResponse:
    return _execution(request, execution_arn, runtime, "_execution.html")


@router.get("/executions/{execution_arn}", response_class=HTMLResponse)
def execution_page(request: Request, execution_arn: str, runtime: RuntimeDep) -> HTMLResponse:
    return _execution(request, execution_arn, runtime, "execution.html")


def _execution(request: Request, execution_arn: str, runtime: RuntimeDep, template: str) -> HTMLResponse:
    if len(execution_arn) > 256 or not re.fullmatch(EXECUTION_ARN_PATTERN, execution_arn):
        return _problem(
            request,
            404,
            "Not an execution ARN",
            "An execution ARN looks like arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME; "
            "pick one from the list of executions.",
        )
    try:
        context = pages.execution_context(runtime, execution_arn)
    except ExecutionNotFoundError as exc:
        return _problem(request, 404, "Execution not found", pages.not_found(exc))
    except OrchestrationError as exc:
        return _problem(request, 502, "The orchestrator could not be asked", pages.not_found(exc))
    return _page(request, template, context)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: str, runtime: RuntimeDep) -> HTMLResponse:
    if not re.fullmatch(ACCOUNT_ID_PATTERN, account_id):
        return _problem(
            request,
            404,
            "Not an account id",
            "An account id is Bitget's userId: 1 to 32 letters, digits, _ or -.",
        )
    try:
        context = pages.account_context(runtime, account_id)
    except HTTPException as exc:
        return _problem(request, exc.status_code, "Account not found", pages.not_found(exc))
    return _page(request, "account.html", context)
