"""The orchestration interface the API talks to; `embedded.py` and `aws.py` implement it.

Both modes go through the same coordinator (validation, execution naming, the "started" manifest: called
in-process in embedded mode, through its Lambda on AWS) and answer with its types (`StartedExecution`,
`ResumedExecution`: lambda_functions/coordinator/answers.py); both read status from the same manifest in the
results store, so the API cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from lambda_functions.coordinator.answers import ResumedExecution, StartedExecution

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


class OrchestrationError(Exception):
    """Base of the errors an orchestrator raises."""


class InvalidRequestError(OrchestrationError):
    """The coordinator rejected the request (HTTP 400); the message says what is wrong."""


class ExecutionNotFoundError(OrchestrationError):
    """No execution with that ARN exists (HTTP 404)."""


class ExecutionConflictError(OrchestrationError):
    """The execution is not in a state that allows what was asked (HTTP 409); the message says why."""


class AccountRejectedError(OrchestrationError):
    """Bitget refused the account before anything started: `status_code` is 401 (credentials), 403 (IP not
    allowed, permission missing) or 400 (unified account); the message names the problem and Bitget's code."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        problem: str | None = None,
        bitget_code: str | None = None,
        bitget_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.problem = problem
        self.bitget_code = bitget_code
        self.bitget_message = bitget_message

    def body(self) -> dict[str, Any]:
        return {
            "detail": str(self),
            "problem": self.problem,
            "bitget_code": self.bitget_code,
            "bitget_message": self.bitget_message,
        }


@dataclass(frozen=True)
class ExtractionOptions:
    """Per-request options of POST /orders; None: the service default (INCLUDE_PLAN_ORDERS, ...)."""

    include_plan_orders: bool | None = None
    include_simulation: bool | None = None
    include_fills: bool | None = None  # None: on for the whole account, off for a symbol list
    since: str | None = None  # "last_sync": an incremental sync of the whole account
    spot_plan_symbols: list[str] | None = None  # account-wide: spot plan candidates the user names
    expected_account_id: str | None = None  # refuse (409) when the key belongs to another account


@dataclass
class ExecutionState:
    execution_arn: str
    status: ExecutionStatus
    start_date: datetime | None = None
    stop_date: datetime | None = None
    state_machine_arn: str | None = None
    output: dict[str, Any] | None = None  # the aggregator's response, on success
    error: str | None = None
    cause: str | None = None
    progress: dict[str, int] = field(default_factory=dict)  # {"symbols_done": n, "symbols_total": m}
    # The manifest says a run stopped at its deadline and the execution must be continued (a resume with
    # reopen_failed false): RUNNING until then.
    continuation_needed: bool = False
    run_arn: str | None = None  # the latest run (a resume starts a new one); None: only the original
    runs: int = 1  # state-machine runs so far (1 + resumes)


class Orchestrator(Protocol):
    mode: str

    def start(
        self,
        symbols: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> StartedExecution:
        """Start an extraction; raises InvalidRequestError for input the coordinator rejects and
        AccountRejectedError when Bitget refuses the account (nothing is started either way)."""

    def describe(self, execution_arn: str) -> ExecutionState:
        """Current state (of the latest run, under the original ARN); raises ExecutionNotFoundError for an
        unknown ARN."""

    def resume(self, execution_arn: str, reopen_failed: bool) -> ResumedExecution:
        """The coordinator's resume action: a new run of the same execution, continuing from its checkpoints
        (`reopen_failed`: re-open the shards that ended in failure). ExecutionNotFoundError without a manifest."""

    def cancel(self, execution_arn: str) -> None:
        """Ask the execution to stop (writes cancel.json); the workers stop at the next page and the aggregator
        records ABORTED."""

    def continue_if_needed(self, execution_arn: str) -> str | None:
        """When the manifest says `continuation_needed` and no run is going: resume it (reopen_failed false),
        or mark it ABORTED when a cancel was asked. Returns "resumed", "aborted" or None (nothing to do)."""
