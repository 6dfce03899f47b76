"""The fewest history requests a complete extraction needs, per endpoint path: the honest rate-limit bound.

Per query (a stream, or one planType of a futures plan stream): ceil(orders / 100) pages, plus the empty page
that proves the end. A stream whose market answered "unknown symbol" needed its one probe; a market the
symbol's name rules out needs nothing. The bound of a run is, over the endpoint paths (each has its own
limit), the largest ideal requests / published limit: every request beyond the ideal counts against us.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from lambda_functions.common.bitget import endpoints as ep
from sandbox.data import PLAN_QUERY_TYPES

HISTORY_PATHS = (
    ep.SPOT_HISTORY_ORDERS,
    ep.SPOT_PLAN_HISTORY,
    ep.FUTURES_HISTORY_ORDERS,
    ep.FUTURES_PLAN_HISTORY,
)
_QUERY_OF_PLAN = {plan: query for query, plans in PLAN_QUERY_TYPES.items() for plan in plans}


def path_of(query: str) -> str:
    """The path of a stream, or of one planType's query (`USDT-FUTURES_plan:track_plan`)."""
    return ep.history_path(query)


def _is_futures_plan(stream: str) -> bool:
    return stream.endswith("_plan") and not stream.startswith("spot")


def _query_key(order: dict[str, Any]) -> str:
    stream = order["stream"]
    if _is_futures_plan(stream):
        return f"{stream}:{_QUERY_OF_PLAN.get(order.get('planType', ''), 'normal_plan')}"
    return stream


def ideal_per_path(
    truth: list[dict[str, Any]], paged: Iterable[str], probed: Iterable[str] = ()
) -> Counter[str]:
    """Ideal requests per path for the streams `paged` (to their end) and `probed` (one 40034 answer each)."""
    per_query = Counter(_query_key(order) for order in truth)
    ideal: Counter[str] = Counter()
    for stream in probed:
        ideal[path_of(stream)] += 1
    for stream in paged:
        queries = [f"{stream}:{q}" for q in PLAN_QUERY_TYPES] if _is_futures_plan(stream) else [stream]
        for query in queries:
            ideal[path_of(query)] += math.ceil(per_query.get(query, 0) / 100) + 1
    return ideal


def bound_seconds(ideal: Counter[str]) -> float:
    """The rate-limit bound: the slowest path's ideal requests / its published limit."""
    return max((ideal[path] / ep.PUBLISHED_LIMITS[path] for path in HISTORY_PATHS), default=0.0)
