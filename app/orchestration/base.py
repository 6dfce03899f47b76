"""The orchestration interface the API talks to; `embedded.py` and `aws.py` implement it.

Both modes go through the same coordinator handler (validation, execution naming, the "started" manifest) and
read status from the same manifest in the results store, so the API cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

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


# The coordinator's answer fields that StartedExecution carries beyond the original's (docs/CONTRACTS.md).
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
    "scope",
    "since",
    "stream_starts",
    "spot_plan_symbols",
    "sync_note",
)


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


@dataclass(frozen=True)
class ResumedExecution:
    """The coordinator's answer to a resume: the same logical execution, one more state-machine run."""

    execution_arn: str  # the user's original ARN
    execution_name: str
    run_arn: str
    run: int


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
