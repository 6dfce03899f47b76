"""Look up, one by one, the orders the last sync saw open (common/sync_state.py, `open_ids`).

An incremental sync pages each stream from just before where the last one ended. An order that was open then
and has finished since is filed under its old creation time, before that start: paging would not see it. When
the last sync recorded few open orders of a stream, each is asked for by id (the history endpoints take
`orderId`), once, right after this sync's own open-order check: one that finished is in the history now; one
still open is in this sync's check, so the next sync looks it up again. A lookup that fails leaves the stream
incomplete (its sync state then does not advance, and the next sync asks again).

Found rows are kept in the checkpoint (a few per stream) and merged into the unit's orders file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from lambda_functions.common.account_scope import AccountScope
from lambda_functions.common.bitget import BitgetError
from lambda_functions.common.logs import log_context
from lambda_functions.common.results_store import dumps_compact
from lambda_functions.common.streams import PLAN_SUFFIX, SPOT_NORMAL, SPOT_TPSL
from lambda_functions.worker.rows import created_ms, row_problem
from lambda_functions.worker.segments import SortKey
from lambda_functions.worker.summary import categorize

log = logging.getLogger(__name__)
OPEN_ORDER_LOOKUP = "open_order_lookup"  # the reason of a stream whose lookup failed
_MESSAGE_LIMIT = 300
# Futures plan rows carry their own planType; Bitget's plan history is queried by these families.
_PLAN_QUERY = {"normal_plan": "normal_plan", "track_plan": "track_plan"}


def run(client: Any, scope: AccountScope, keys: set[str], starts: Callable[[str], int]) -> dict[str, Any]:
    """{"found": [rows, each with `stream`], "errors": {stream key: {"error", "error_code", "error_message"}}}
    for the unit's streams `keys`. `starts(key)` is the stream's window start: rows at or after it are paged
    anyway and not kept here."""
    found: list[dict[str, Any]] = []
    errors: dict[str, dict[str, Any]] = {}
    for key, items in scope.lookups.items():
        if key not in keys:
            continue  # another unit's stream
        with log_context(stream=key):
            for item in items:
                try:
                    row = _lookup(client, key, item)
                except BitgetError as exc:
                    log.warning("open-order lookup failed", extra={"order_id": item["id"]})
                    errors[key] = {
                        "error": categorize(exc),
                        "error_code": getattr(exc, "code", None),
                        "error_message": str(exc)[:_MESSAGE_LIMIT],
                    }
                    break
                if row is not None and row_problem(row) is None and created_ms(row) < starts(key):
                    found.append(row | {"stream": key})
    return {"found": found, "errors": errors}


def rows(found: list[dict[str, Any]]) -> Iterator[tuple[SortKey, bytes]]:
    """The found rows as sorted (key, body) pairs, newest first, for the merge with the segments."""
    keyed = [
        ((created_ms(row), int(row["orderId"]), str(row["stream"])), dumps_compact(row)) for row in found
    ]
    return iter(sorted(keyed, key=lambda pair: pair[0], reverse=True))


def _lookup(client: Any, key: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """The order with this id from its stream's history, or None while it is not there (still open)."""
    order_id = str(item["id"])
    if key in (SPOT_NORMAL, SPOT_TPSL):
        tpsl = "tpsl" if key == SPOT_TPSL else "normal"
        answer: list[dict[str, Any]] = client.spot_history_orders(None, order_id=order_id, tpsl_type=tpsl)
    elif key.endswith(PLAN_SUFFIX):
        plan_type = _PLAN_QUERY.get(str(item.get("plan_type") or ""), "profit_loss")
        answer = client.futures_plan_history(key.removesuffix(PLAN_SUFFIX), plan_type, order_id=order_id)[
            "entrustedList"
        ]
    else:
        answer = client.futures_history_orders(key, order_id=order_id)["entrustedList"]
    return next(
        (row for row in answer if isinstance(row, dict) and str(row.get("orderId")) == order_id), None
    )
