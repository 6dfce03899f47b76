"""Where the next incremental sync of an account starts, per stream (`{prefix}_accounts/{id}/sync.json`).

History endpoints filter by creation time, but an order enters the history when it *finishes*: a limit order
created 20 days ago and filled an hour ago has an old cTime. A high-water mark on cTime alone would lose it.
So each complete account-wide execution records, per stream, how far it paged (`synced_to_ms`, its window's
end) and the creation time of the oldest order that was still **open** when it started
(`oldest_open_ms`, from Bitget's open-order endpoints, read before any history page). The next sync pages each
stream from the earlier of the two, minus `SYNC_OVERLAP_MS`. An order open at the check is then inside the
next window whenever it finishes; an order created after the window's end is newer than `synced_to_ms`; one
that finished before the check is in the history this execution pages. When a stream had few open orders
(worker/open_orders.LOOKUP_MAX) their ids are kept (`open_ids`) and the next sync looks each one up by id
instead of paging back to the oldest: one request per order rather than a page per 100 orders of the span.
One still open then is in that sync's own open-order check, so it is carried to the sync after.

When the open-order check of a stream failed, its `oldest_open_ms` is the stream's window start: the next
sync pages this one's window again rather than guess. A stream that was not complete is not advanced. The
aggregator writes the file (one writer per execution); the coordinator reads it for `"since": "last_sync"`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore
from lambda_functions.common.streams import is_fill_stream
from lambda_functions.common.timewindow import RETENTION_MS
from lambda_functions.common.utc import iso_ms

SYNC_OVERLAP_MS = 5 * 60_000  # re-read this much before the previous end: clock skew, late-indexed rows
VERSION = 1


def sync_key(prefix: str, account_id: str) -> str:
    # `_`-prefixed folders are not executions (retention and listings skip them).
    return f"{prefix}_accounts/{account_id}/sync.json"


def read(store: ResultsStore, prefix: str, account_id: str) -> dict[str, Any] | None:
    """The account's sync state, or None before its first complete account-wide execution."""
    try:
        data = store.get_json(sync_key(prefix, account_id))
    except ResultNotFoundError:
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def next_start(entry: dict[str, Any], edge_ms: int) -> int:
    """Where a stream's next sync starts: min(synced_to, oldest_open) - overlap, never before `edge_ms`; when
    the open orders were recorded by id (`open_ids`), they are looked up instead and the stream starts at
    synced_to - overlap."""
    start = int(entry["synced_to_ms"])
    oldest_open = entry.get("oldest_open_ms")
    if oldest_open is not None and entry.get("open_ids") is None:
        start = min(start, int(oldest_open))
    return max(edge_ms, start - SYNC_OVERLAP_MS)


def lookups(state: dict[str, Any] | None, starts: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Per stream key, the orders open at the last sync that lie before the stream's next start (the ones
    paging would not see again): the next sync looks each up by id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for key, entry in ((state or {}).get("streams") or {}).items():
        ids = entry.get("open_ids") if isinstance(entry, dict) else None
        if not ids or key not in starts:
            continue
        before = [item for item in ids if int(item["c_time"]) < starts[key]]
        if before:
            found[key] = before
    return found


def stream_starts(state: dict[str, Any] | None, now_ms: int, edge_margin_ms: int = 0) -> dict[str, int]:
    """Per stream key, where the next sync starts (streams never synced are absent: they get the full window)."""
    if not state:
        return {}
    edge = now_ms - RETENTION_MS + edge_margin_ms
    streams = state.get("streams") or {}
    return {key: next_start(entry, edge) for key, entry in streams.items() if isinstance(entry, dict)}


def updated(
    state: dict[str, Any] | None,
    *,
    account_id: str,
    execution: str,
    coverage: list[dict[str, Any]],
    open_orders: dict[str, dict[str, Any]],
    spot_symbols: list[str],
    now: dt.datetime,
) -> dict[str, Any]:
    """The state after an account-wide execution: every complete stream advanced to its window's end."""
    state = dict(state or {"version": VERSION, "account_id": account_id, "streams": {}, "spot_symbols": []})
    streams = dict(state.get("streams") or {})
    stamp = iso_ms(now)
    for entry in coverage:
        if not entry.get("complete"):
            continue
        key = entry["key"]
        previous = streams.get(key) or {}
        end = max(int(entry["end_ms"]), int(previous.get("synced_to_ms", 0)))
        check = open_orders.get(key) or open_orders.get(entry["stream"]) or {"checked": False}
        if is_fill_stream(entry["stream"]):
            # A fill is filed at the moment it happens and never changes: nothing open to come back for.
            check = {"checked": True, "oldest_ms": None}
        # Not known what was open: the next sync pages this window again.
        oldest = check.get("oldest_ms") if check.get("checked") else int(entry["start_ms"])
        streams[key] = {
            "synced_to_ms": end,
            "oldest_open_ms": oldest,
            "open_ids": check.get("ids") if check.get("checked") and key == entry["stream"] else None,
            "last_execution": execution,
            "last_sync_at": stamp,
        }
    known = set(state.get("spot_symbols") or []) | set(spot_symbols)
    return {
        **state,
        "version": VERSION,
        "account_id": account_id,
        "streams": dict(sorted(streams.items())),
        "spot_symbols": sorted(known),
        "updated_at": stamp,
        "last_execution": execution,
    }


def write(store: ResultsStore, prefix: str, account_id: str, state: dict[str, Any]) -> None:
    store.put_json(sync_key(prefix, account_id), state)
