"""Account-wide extraction: the Map units that page an account's streams without a symbol list, and the scope
every worker of such an execution receives (docs/CONTRACTS.md "Account-wide executions").

Bitget's history endpoints take `symbol` as optional, so an account is read stream by stream, not symbol by
symbol: one Map item pages the spot streams (`ALL_SPOT`), one the futures product types (`ALL_FUTURES`). They
use disjoint endpoint paths, so each may use the account's whole rate limit on its paths. Spot plan history is
the exception: Bitget requires a symbol there, so `ALL_SPOT` pages it once per *candidate* symbol (the symbols
of the account's spot orders, of its current plan orders, and any the request names), as a stream keyed
`spot_plan:SYMBOL`, and says which symbols it covered.

`stream_starts` narrows a stream's window (incremental sync, sync_state.py): a stream key absent from it is
paged over the execution's whole window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.common.symbols import SYMBOL, is_symbol

ACCOUNT_SPOT = "ALL_SPOT"
ACCOUNT_FUTURES = "ALL_FUTURES"
ACCOUNT_UNITS = (ACCOUNT_SPOT, ACCOUNT_FUTURES)
_KEY_SEPARATOR = ":"
# A symbol here may be one Bitget sent (`$ALTUSDT`, a candidate from the account's own orders, kept by the sync
# state for the next sync), not only one a request named: the pipeline's symbol rule, not the request's.
_STREAM_KEY = re.compile(rf"[A-Za-z0-9_-]{{1,32}}(:{SYMBOL})?")


def is_account_unit(name: str) -> bool:
    return name in ACCOUNT_UNITS


def stream_key(stream: str, symbol: str | None = None) -> str:
    """The key of a stream paged for one symbol inside an account unit (`spot_plan:BTCUSDT`), else the stream."""
    return f"{stream}{_KEY_SEPARATOR}{symbol}" if symbol else stream


@dataclass(frozen=True)
class AccountScope:
    """What every worker of an account-wide execution shares."""

    stream_starts: dict[str, int] = field(default_factory=dict)  # stream key -> first ms to page
    spot_plan_symbols: tuple[str, ...] = ()  # candidates known before the run (the request, earlier syncs)
    since_last_sync: bool = False
    # stream key -> orders open at the last sync, created before the stream's start: looked up by id
    lookups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stream_starts": dict(self.stream_starts),
            "spot_plan_symbols": list(self.spot_plan_symbols),
            "since_last_sync": self.since_last_sync,
            "lookups": {key: list(items) for key, items in self.lookups.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> AccountScope | None:
        """The scope of an event (None: a per-symbol execution); ValueError naming what is malformed."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError(f"'scope' must be an object or null, got {type(data).__name__}")
        starts = data.get("stream_starts") or {}
        if not isinstance(starts, dict) or not all(
            isinstance(k, str) and _STREAM_KEY.fullmatch(k) and type(v) is int and v >= 0
            for k, v in starts.items()
        ):
            raise ValueError("'scope.stream_starts' must map stream keys to non-negative integer ms")
        symbols = data.get("spot_plan_symbols") or []
        if not isinstance(symbols, list) or not all(is_symbol(s) for s in symbols):
            raise ValueError("'scope.spot_plan_symbols' must be a list of Bitget symbols like BTCUSDT")
        since = data.get("since_last_sync", False)
        if not isinstance(since, bool):
            raise ValueError("'scope.since_last_sync' must be true or false")
        return cls(dict(starts), tuple(dict.fromkeys(symbols)), since, _lookups(data.get("lookups") or {}))


def _lookups(raw: Any) -> dict[str, list[dict[str, Any]]]:
    problem = '\'scope.lookups\' must map stream keys to lists of {"id": digits, "c_time": ms, "plan_type"}'
    if not isinstance(raw, dict):
        raise ValueError(problem)
    out: dict[str, list[dict[str, Any]]] = {}
    for key, items in raw.items():
        if not isinstance(key, str) or not _STREAM_KEY.fullmatch(key) or not isinstance(items, list):
            raise ValueError(problem)
        for item in items:
            if (
                not isinstance(item, dict)
                or not str(item.get("id", "")).isdigit()
                or type(item.get("c_time")) is not int
                or not isinstance(item.get("plan_type"), str | None)
            ):
                raise ValueError(problem)
        out[key] = [
            {"id": str(i["id"]), "c_time": i["c_time"], "plan_type": i.get("plan_type")} for i in items
        ]
    return out
