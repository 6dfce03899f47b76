"""Checking each row Bitget sends before it is kept: one bad row never sinks a stream.

A row is kept when its id (`orderId`; `tradeId` for fills) and `cTime` parse as integers (the id is the cursor
and the dedupe key, cTime decides which time slice owns the row and where it sorts). Anything else is *rejected*: counted per stream,
and the first few are stored with their reason and the raw row in the symbol's detail, so nothing disappears
without a trace. Every other field is kept exactly as Bitget sent it (decimal strings stay strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_REJECTED_SAMPLES = 20  # raw rows kept per stream; the count covers all of them


# ASCII digits only (str.isdigit also accepts "²" and "١"); a bounded length keeps int() cheap and defined
_DIGITS = re.compile(r"[0-9]{1,40}")
MAX_ID = 2**63 - 1  # ids and times are stored as BIGINT


def _as_int(value: Any) -> int | None:
    """An integer from Bitget's usual string form (or a bare number) that fits a BIGINT; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    return value if isinstance(value, int) and value <= MAX_ID else None


def row_problem(row: Any, id_field: str = "orderId") -> str | None:
    """Why the row cannot be kept, or None when it can."""
    if not isinstance(row, dict):
        return f"row is a {type(row).__name__}, not an object"
    record_id = _as_int(row.get(id_field))
    if record_id is None or record_id <= 0:
        return f"{id_field} {row.get(id_field)!r} is not a positive integer"
    c_time = _as_int(row.get("cTime"))
    if c_time is None or c_time <= 0:
        return f"cTime {row.get('cTime')!r} is not a positive integer of milliseconds"
    return None


def created_ms(row: dict[str, Any]) -> int:
    """cTime of a row that passed `row_problem`."""
    return int(str(row["cTime"]).strip())


@dataclass
class Rejected:
    """Rejected rows of one stream (callers hold the stream's lock: its shards may run on several threads)."""

    count: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, reason: str, row: Any) -> None:
        self.count += 1
        if len(self.samples) < MAX_REJECTED_SAMPLES:
            self.samples.append({"reason": reason, "row": row})
