"""Streams the consolidated document into a binary file, one order at a time.

Layout (CONTRACTS.md): `{"execution", "execution_arn", "generated_at", "orders": [...], "summary": {...}}`.
`summary` comes last because it describes the orders (totals, duplicates) and is only known once they are
written; readers that stream `orders.item` never need it first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

# Orders are encoded and written in batches: one C-encoder call and one write per batch, bounded memory.
_BATCH = 1000

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def write_document(
    fh: IO[bytes],
    header: Mapping[str, Any],
    orders: Iterable[Mapping[str, Any]],
    summary: Callable[[], Mapping[str, Any]],
) -> int:
    """Writes header fields, then every order, then `summary()`; returns the number of orders written."""
    if "orders" in header or "summary" in header:
        raise ValueError("the document header must not contain 'orders' or 'summary'")
    head = _encode(dict(header))[1:-1]
    fh.write(("{" + head + ("," if head else "") + '"orders":[').encode())
    written = 0
    batch: list[Mapping[str, Any]] = []
    for order in orders:
        batch.append(order)
        if len(batch) >= _BATCH:
            written += _flush(fh, batch, first=written == 0)
    if batch:
        written += _flush(fh, batch, first=written == 0)
    fh.write(('],"summary":' + _encode(dict(summary())) + "}").encode())
    return written


def _flush(fh: IO[bytes], batch: list[Mapping[str, Any]], first: bool) -> int:
    count = len(batch)
    fh.write((("" if first else ",") + _encode(batch)[1:-1]).encode())
    batch.clear()
    return count
