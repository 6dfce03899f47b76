"""The worker's event, parsed into the typed `WorkerRequest` (docs/CONTRACTS.md, "Events": Worker).

`{"symbol", "execution", "start_ms"?, "end_ms"?, "include_plan_orders"?, "include_simulation"?,
"include_fills"?, "rate_share"?, "deadline_ms"?, "resume"?, "account_mode"?, "scope"?}`: the Map's ItemSelector
builds it from the coordinator's state machine input. `symbol` may be an account unit (`ALL_SPOT`,
`ALL_FUTURES`) with its `scope` (common/account_scope.py). A malformed event raises ValueError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambda_functions.common import account_mode
from lambda_functions.common.account_scope import ACCOUNT_UNITS, AccountScope, is_account_unit
from lambda_functions.common.execution_names import is_execution_name
from lambda_functions.common.symbols import is_symbol


@dataclass(frozen=True)
class WorkerRequest:
    symbol: str
    execution: str
    start_ms: int | None = None
    end_ms: int | None = None
    include_plan_orders: bool | None = None  # None: the worker's INCLUDE_PLAN_ORDERS
    include_simulation: bool | None = None  # None: the worker's INCLUDE_SIMULATION
    rate_share: float | None = None  # the share of the account's limits (aws mode; the coordinator sets it)
    deadline_ms: int | None = None  # the execution's own deadline (epoch ms; EXPRESS), None: none
    resume: bool = False  # re-open the shards that ended on a failure (POST /orders/{arn}/resume)
    scope: AccountScope | None = None  # an account unit's scope (common/account_scope.py)
    include_fills: bool | None = None  # None: no fills
    account_mode: str | None = None  # classic or unified (the coordinator's probe); None: probed here


def parse_event(event: Any) -> WorkerRequest:
    """The worker event as a typed request; ValueError naming the problem when it is malformed."""
    if not isinstance(event, dict):
        raise ValueError(f"worker event must be a JSON object, got {type(event).__name__}")
    symbol = event.get("symbol")
    if not isinstance(symbol, str) or not is_symbol(symbol.strip().upper()):
        raise ValueError(f"'symbol' must be a Bitget symbol like BTCUSDT, got {symbol!r}")
    execution = event.get("execution")
    if not is_execution_name(execution):
        raise ValueError(
            f"'execution' must be an execution name (1-80 letters, digits, - and _), got {execution!r}"
        )
    bounds = {}
    for name in ("start_ms", "end_ms"):
        value = event.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"'{name}' must be a non-negative integer of milliseconds, got {value!r}")
        bounds[name] = value
    start, end = bounds["start_ms"], bounds["end_ms"]
    if start is not None and end is not None and start >= end:
        raise ValueError(f"'start_ms' ({start}) must be before 'end_ms' ({end})")
    scope = AccountScope.from_json(event.get("scope"))
    if scope is not None and not is_account_unit(symbol.strip().upper()):
        raise ValueError(f"'scope' is for the account units {', '.join(ACCOUNT_UNITS)}, not {symbol!r}")
    deadline = event.get("deadline_ms")
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, int) or deadline <= 0
    ):
        raise ValueError(
            f"'deadline_ms' must be a positive integer of epoch milliseconds or null, got {deadline!r}"
        )
    return WorkerRequest(
        symbol.strip().upper(),
        execution,
        start,
        end,
        rate_share=_optional_share(event),
        deadline_ms=deadline,
        resume=_optional_bool(event, "resume") or False,
        include_plan_orders=_optional_bool(event, "include_plan_orders"),
        include_simulation=_optional_bool(event, "include_simulation"),
        include_fills=_optional_bool(event, "include_fills"),
        account_mode=account_mode.checked(event.get("account_mode")),
        scope=scope,
    )


def _optional_bool(event: dict[str, Any], name: str) -> bool | None:
    value = event.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"'{name}' must be true, false or absent, got {value!r}")
    return value


def _optional_share(event: dict[str, Any]) -> float | None:
    value = event.get("rate_share")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(f"'rate_share' must be a number in (0, 1], got {value!r}")
    return float(value)
