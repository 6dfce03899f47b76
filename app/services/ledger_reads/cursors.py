"""Opaque keyset cursors: the position just after a row in (c_time, order_id_num, id) newest-first order
(fills: (c_time, trade_id_num, id)), and the page of rows (`KeysetRows`) that issues them.

An execution's cursor (GET /orders/{arn}/database) is the three numbers, as before the ledger. An account's
cursor (GET /accounts/{id}/orders, its fills, an execution's fills) also carries a fingerprint of the filters
it was issued for, so a cursor passed with other filters is refused instead of silently skipping or repeating
records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.services.ledger_reads.rows import key_reader

MALFORMED = "cursor is malformed: pass the next_cursor of a previous page"
MAX_BIGINT = 2**63
Position = tuple[int, int, int]  # (c_time, tie-breaker, id) of the last row read


class InvalidCursorError(ValueError):
    """A pagination cursor that this service did not produce, altered, or issued for other filters."""


def _pack(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError(MALFORMED) from exc


def _keys(values: Any) -> tuple[int, int, int]:
    # bool is an int subclass: excluded; values beyond BIGINT would overflow the driver (a 500, not a 400)
    if not isinstance(values, list) or not all(type(v) is int and 0 <= v < MAX_BIGINT for v in values):
        raise InvalidCursorError(MALFORMED)
    return values[0], values[1], values[2]


def encode_cursor(c_time: int, order_id_num: int, row_id: int) -> str:
    """Opaque keyset token for the position just after the row (c_time, order_id_num, id)."""
    return _pack([c_time, order_id_num, row_id])


def decode_cursor(cursor: str) -> tuple[int, int, int]:
    """The (c_time, order_id_num, id) inside a token; InvalidCursorError if it is not one of ours."""
    values = _unpack(cursor)
    if not isinstance(values, list) or len(values) != 3:
        raise InvalidCursorError(MALFORMED)
    return _keys(values)


def filters_fingerprint(filters: tuple[Any, ...]) -> str:
    """A short stable digest of a filter set (what a cursor was issued for)."""
    text = json.dumps(list(filters), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_bound_cursor(key: tuple[int, int, int], fingerprint: str) -> str:
    """A keyset token valid only with the filters whose fingerprint it carries."""
    return _pack([*key, fingerprint])


ORDER_FILTERS = "symbol, stream, start_ms, end_ms, side and status"


def decode_bound_cursor(cursor: str, fingerprint: str, filters: str = ORDER_FILTERS) -> tuple[int, int, int]:
    """The keyset position of a bound token; InvalidCursorError when malformed or issued for other filters
    (`filters` names them in the message)."""
    values = _unpack(cursor)
    if not isinstance(values, list) or len(values) != 4 or not isinstance(values[3], str):
        raise InvalidCursorError(MALFORMED)
    key = _keys(values[:3])
    if values[3] != fingerprint:
        raise InvalidCursorError(
            f"cursor was issued for other filters: pass the same {filters} as the page that gave it, or "
            "start again without a cursor"
        )
    return key


@dataclass(frozen=True)
class KeysetRows:
    """One page of selected rows (the keyset's tie-breaker last in each), whether another page exists, and the
    last row's position when it does."""

    rows: Sequence[Sequence[Any]]
    has_more: bool
    next_key: Position | None

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]], fields: tuple[str, ...], limit: int) -> KeysetRows:
        """The page of `rows` read with one row more than `limit` (which says whether another page exists)."""
        page, has_more = rows[:limit], len(rows) > limit
        return cls(page, has_more, key_reader(fields)(page[-1]) if has_more and page else None)

    def next_cursor(self, fingerprint: str | None = None) -> str | None:
        """The cursor of the next page, bound to the filters' fingerprint when given; None on the last page."""
        if self.next_key is None:
            return None
        return (
            encode_cursor(*self.next_key)
            if fingerprint is None
            else encode_bound_cursor(self.next_key, fingerprint)
        )

    def pagination(self, limit: int, fingerprint: str) -> dict[str, Any]:
        """A keyset page's `pagination` (KeysetPagination's fields)."""
        return {
            "limit": limit,
            "returned_count": len(self.rows),
            "has_more": self.has_more,
            "next_cursor": self.next_cursor(fingerprint),
        }
