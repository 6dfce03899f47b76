"""What both orchestrators hand the coordinator, and how its answers reach the API.

Embedded mode calls the coordinator in-process (`Coordinator.start(StartRequest)`, `Coordinator.resume`); aws
mode sends `StartRequest.body()` to the coordinator Lambda and reads its answer back with the coordinator's own
parsers (lambda_functions/coordinator/answers.py). Either way a refusal arrives as the coordinator's `Refusal`,
turned here into the API's error.
"""

from __future__ import annotations

import dataclasses

from app.orchestration.base import (
    AccountRejectedError,
    ExecutionConflictError,
    ExecutionNotFoundError,
    ExtractionOptions,
    InvalidRequestError,
    OrchestrationError,
)
from lambda_functions.coordinator.answers import (
    AccountRefused,
    Conflict,
    InvalidRequest,
    NotFound,
    Refusal,
    ResumedExecution,
)
from lambda_functions.coordinator.events import StartRequest


def start_request(
    symbols: list[str] | None, start_ms: int | None, end_ms: int | None, options: ExtractionOptions | None
) -> StartRequest:
    """The coordinator's request for POST /orders' arguments; `symbols` None: the whole account."""
    return StartRequest(symbols, start_ms, end_ms, **dataclasses.asdict(options or ExtractionOptions()))


def api_error(refusal: Refusal) -> OrchestrationError:
    """The API's error for a coordinator refusal (its HTTP answer: 400, 401/403/400, 404, 409, else 502)."""
    message = str(refusal)
    if isinstance(refusal, AccountRefused):
        fields = refusal.fields
        return AccountRejectedError(
            message,
            status_code=refusal.status,
            problem=fields.get("problem"),
            bitget_code=fields.get("bitget_code"),
            bitget_message=fields.get("bitget_message"),
        )
    kinds: dict[type[Refusal], type[OrchestrationError]] = {
        InvalidRequest: InvalidRequestError,
        NotFound: ExecutionNotFoundError,
        Conflict: ExecutionConflictError,
    }
    return kinds.get(type(refusal), OrchestrationError)(message)


def resumed_under(resumed: ResumedExecution, execution_arn: str) -> ResumedExecution:
    """The answer under the ARN the user knows (a manifest that never recorded its ARN gives none)."""
    return dataclasses.replace(resumed, execution_arn=resumed.execution_arn or execution_arn)
