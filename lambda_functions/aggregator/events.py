"""The aggregator's two events, parsed into typed requests (CONTRACTS.md, "Events").

- aggregate: `{"execution", "symbols", "results": [worker summary | Catch item], "execution_arn"?}`
- failure (from the state machine's Catch on the aggregate step):
  `{"mode": "failure", "execution", "error": {"Error", "Cause"}}`
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from lambda_functions.common.execution_names import EXECUTION_NAME_PATTERN
from lambda_functions.common.symbols import is_symbol


class InvalidEventError(ValueError):
    """The event is not one the aggregator understands; the message names the offending fields."""


class AggregateRequest(BaseModel):
    execution: str = Field(pattern=EXECUTION_NAME_PATTERN)
    symbols: list[str] = Field(default_factory=list)
    results: list[Any] = Field(default_factory=list)
    execution_arn: str | None = None

    def symbol_list(self) -> list[str]:
        """The symbols in request order, deduplicated; taken from the results when the event names none."""
        names = self.symbols or [
            str(r["symbol"]) for r in self.results if isinstance(r, dict) and "symbol" in r
        ]
        return list(dict.fromkeys(names))


class FailureRequest(BaseModel):
    mode: Literal["failure"]
    execution: str = Field(pattern=EXECUTION_NAME_PATTERN)
    error: dict[str, Any] = Field(default_factory=dict)

    @property
    def error_name(self) -> str:
        return str(self.error.get("Error") or "AggregatorFailed")

    @property
    def cause(self) -> str:
        return str(self.error.get("Cause") or "")


def parse_event(event: Any) -> AggregateRequest | FailureRequest:
    if not isinstance(event, dict):
        raise InvalidEventError(f"aggregator event must be a JSON object, got {type(event).__name__}")
    model: type[AggregateRequest | FailureRequest] = (
        FailureRequest if event.get("mode") == "failure" else AggregateRequest
    )
    try:
        request = model.model_validate(event)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidEventError(f"invalid aggregator event: {problems}") from None
    if isinstance(request, AggregateRequest):
        _check_symbols(request.symbol_list())
    return request


def _check_symbols(symbols: list[str]) -> None:
    bad = [s for s in symbols if not is_symbol(s)]
    if bad:
        raise InvalidEventError(f"invalid symbol names in aggregator event: {bad[:5]!r}")
