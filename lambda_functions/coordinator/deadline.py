"""The execution's deadline, handed to every worker (`deadline_ms` in the state input).

An EXPRESS execution is killed by AWS after 5 minutes, uncatchably: nothing after that point runs. Workers
therefore stop (with checkpoints) a reserve before the limit, so the aggregator still records the run's
end and the service continues the execution in a new run. STANDARD executions (a year) and the embedded mode
have no deadline unless EXECUTION_TIME_LIMIT_S sets one (tests and demos of continuations do).
"""

from __future__ import annotations

import datetime as dt

EXPRESS_LIMIT_S = 300.0
DEFAULT_AGGREGATE_RESERVE_S = (
    60.0  # what the aggregator (and the Map's bookkeeping) may need after the workers
)


def time_limit_s(state_machine_type: str, configured_s: float | None) -> float | None:
    """The execution's time limit: the configured one, else EXPRESS's 5 minutes; None means none."""
    if configured_s is not None:
        return configured_s
    return EXPRESS_LIMIT_S if state_machine_type == "EXPRESS" else None


def deadline_ms(started: dt.datetime, limit_s: float | None, reserve_s: float) -> int | None:
    """When the workers must have stopped: the start plus the limit less the reserve (at most a quarter of
    the limit, so a short test limit still leaves the workers most of it)."""
    if limit_s is None:
        return None
    return int((started.timestamp() + limit_s - min(reserve_s, limit_s / 4)) * 1000)
