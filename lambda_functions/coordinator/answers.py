"""What the coordinator answers: its typed results and refusals, and their Lambda-response form.

`Coordinator.start` returns a `StartedExecution` and `Coordinator.resume` a `ResumedExecution`; anything else is
a `Refusal` (nothing was started). The Lambda adapter (`Coordinator.handle`) writes them as
`{"statusCode", "headers", "body": <JSON>}` (`lambda_response`); the API's AWS orchestrator reads that answer
back with `started_from_response` / `resumed_from_response`, so both sides use the shapes defined here
(docs/CONTRACTS.md, "Events").

    Refusal                 any status but 202; `body()` is `{"error": ...}` plus the subclass's fields
    ├── InvalidRequest      400: the request (or the resume event) is malformed
    ├── AccountRefused      401/403/400: Bitget refused the account (`problem`, `bitget_code`, `bitget_message`)
    ├── NotFound            404: no execution with that name
    ├── Conflict            409: the key's account differs (`problem: account_mismatch`), or a run is going
    └── StartFailed         502: Step Functions refused, or the state of a run could not be told
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

STARTED = 202


class Refusal(Exception):
    """The coordinator did not start anything: `status` is its HTTP answer, `body()` the JSON body."""

    status = 502

    def __init__(self, message: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.fields = extra  # what the body carries beyond "error"

    def body(self) -> dict[str, Any]:
        return {"error": str(self), **self.fields}


class InvalidRequest(Refusal):
    status = 400


class AccountRefused(Refusal):
    """`status` 401 (credentials), 403 (IP not allowed, permission missing) or 400 (unified account)."""

    status = 401


class NotFound(Refusal):
    status = 404


class Conflict(Refusal):
    status = 409


class StartFailed(Refusal):
    status = 502


# The answer fields beyond the execution, its symbols and its window (Plan.echo, docs/CONTRACTS.md).
SCOPE_FIELDS = ("scope", "since", "stream_starts", "spot_plan_symbols", "sync_note")  # account-wide only
ECHOED_FIELDS = (
    "requested_start_ms",
    "requested_end_ms",
    "window_clamped",
    "window_note",
    "include_plan_orders",
    "include_simulation",
    "include_fills",
    "account_id",
    "account_mode",
    "account_check",
    *SCOPE_FIELDS,
)


@dataclass(frozen=True)
class StartedExecution:
    execution_arn: str
    execution_name: str
    symbols: list[str]
    start_ms: int  # the window used, after clamping
    end_ms: int
    requested_start_ms: int | None = None  # what the request asked (None: not given)
    requested_end_ms: int | None = None
    window_clamped: bool = False
    window_note: str | None = None
    include_plan_orders: bool | None = None  # the effective options
    include_simulation: bool | None = None
    include_fills: bool | None = None
    account_id: str | None = None  # Bitget's userId, when the account check ran
    account_mode: str | None = None  # classic | unified (the account check), None when it did not say
    account_check: str | None = None  # ok | unverified | off
    scope: str | None = None  # "account" for an account-wide execution
    since: str | None = None
    stream_starts: dict[str, int] | None = None
    spot_plan_symbols: list[str] | None = None
    sync_note: str | None = None

    def echo(self) -> dict[str, Any]:
        """What POST /orders answers beyond the original's fields: the window asked, the options, the account."""
        return {name: getattr(self, name) for name in ECHOED_FIELDS}

    def body(self) -> dict[str, Any]:
        """The 202 body; the scope fields only for an account-wide execution."""
        echoed = {k: v for k, v in self.echo().items() if self.scope is not None or k not in SCOPE_FIELDS}
        head = {"executionArn": self.execution_arn, "execution": self.execution_name, "symbols": self.symbols}
        window = {"start_ms": self.start_ms, "end_ms": self.end_ms}
        return head | window | {"status": "started"} | echoed

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> StartedExecution:
        echoed: dict[str, Any] = {name: body.get(name) for name in ECHOED_FIELDS}
        return cls(
            execution_arn=body["executionArn"],
            execution_name=body["execution"],
            symbols=list(body["symbols"]),
            start_ms=int(body["start_ms"]),
            end_ms=int(body["end_ms"]),
            **echoed | {"window_clamped": bool(echoed["window_clamped"])},
        )


@dataclass(frozen=True)
class ResumedExecution:
    """One more state-machine run of the same logical execution."""

    execution_arn: str | None  # the user's original ARN (None when its manifest never recorded one)
    execution_name: str
    run_arn: str
    run: int

    def body(self) -> dict[str, Any]:
        head = {"executionArn": self.execution_arn, "run_arn": self.run_arn, "execution": self.execution_name}
        return head | {"status": "resumed", "run": self.run}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ResumedExecution:
        return cls(
            execution_arn=body.get("executionArn"),
            execution_name=str(body.get("execution") or ""),
            run_arn=str(body["run_arn"]),
            run=int(body.get("run") or 0),
        )


def lambda_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A Lambda / Function URL response."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def refusal_response(refusal: Refusal) -> dict[str, Any]:
    return lambda_response(refusal.status, refusal.body())


def started_from_response(response: dict[str, Any]) -> StartedExecution:
    """The coordinator Lambda's answer to a start as a StartedExecution; its refusal raised as one."""
    status, body = _status_and_body(response)
    if status != STARTED:
        raise refusal_from(status, body, f"the coordinator answered {status}")
    return StartedExecution.from_body(body)


def resumed_from_response(response: dict[str, Any]) -> ResumedExecution:
    """The coordinator Lambda's answer to the resume action as a ResumedExecution; its refusal raised as one."""
    status, body = _status_and_body(response)
    if status != STARTED:
        raise refusal_from(status, body, f"the coordinator answered {status} to the resume")
    return ResumedExecution.from_body(body)


def refusal_from(status: Any, body: dict[str, Any], fallback: str) -> Refusal:
    """The Refusal a non-202 answer stands for (`fallback`: the message when the body has none)."""
    message = str(body.get("error") or fallback)
    extra = {name: value for name, value in body.items() if name != "error"}
    if body.get("problem") and status in (400, 401, 403):
        return AccountRefused(message, status=status, **extra)
    kinds: dict[Any, type[Refusal]] = {400: InvalidRequest, 404: NotFound, 409: Conflict, 502: StartFailed}
    kind = kinds.get(status, Refusal)
    return kind(message, status=status if isinstance(status, int) else None, **extra)


def _status_and_body(response: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    body = json.loads(response.get("body") or "{}")
    return response.get("statusCode"), body if isinstance(body, dict) else {}
