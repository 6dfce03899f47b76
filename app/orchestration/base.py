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


@dataclass(frozen=True)
class StartedExecution:
    execution_arn: str
    execution_name: str
    symbols: list[str]
    start_ms: int
    end_ms: int


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


class Orchestrator(Protocol):
    mode: str

    def start(self, symbols: list[str], start_ms: int | None, end_ms: int | None) -> StartedExecution:
        """Start an extraction; raises InvalidRequestError for input the coordinator rejects."""

    def describe(self, execution_arn: str) -> ExecutionState:
        """Current state; raises ExecutionNotFoundError for an unknown ARN."""
