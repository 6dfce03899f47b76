"""Streams the consolidated document into a binary file, one order at a time.

Layout (CONTRACTS.md): `{"execution", "execution_arn", "generated_at", "orders": [...], "fills": [...],
"rejected_rows": [...], "summary": {...}}`. `rejected_rows` and `summary` come last because they are only known
once the records are written (the merge itself may reject a row); readers that stream `orders.item` or
`fills.item` never need them first.
Numbers are written exactly (`exact_json`): a Decimal parsed from a per-symbol file goes back digit for digit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from lambda_functions.common.exact_json import dumps_exact

# Orders are encoded and written in batches: one C-encoder call and one write per batch, bounded memory.
_BATCH = 1000
_TRAILER = ("orders", "fills", "rejected_rows", "summary")


def write_document(
    fh: IO[bytes],
    header: Mapping[str, Any],
    orders: Iterable[Mapping[str, Any]],
    summary: Callable[[], Mapping[str, Any]],
    rejected_rows: Callable[[], Iterable[Mapping[str, Any]]] = lambda: (),
    fills: Callable[[], Iterable[Mapping[str, Any]]] = lambda: (),
) -> int:
    """Writes header fields, every order, then `fills()`, `rejected_rows()` and `summary()`; returns the orders
    written. `fills` is called once the orders are written (they arrive in the same merge)."""
    if any(name in header for name in _TRAILER):
        raise ValueError(f"the document header must not contain any of {_TRAILER}")
    head = dumps_exact(dict(header))[1:-1]
    fh.write(("{" + head + ("," if head else "") + '"orders":[').encode())
    written = _write_array(fh, orders)
    fh.write(b'],"fills":[')
    _write_array(fh, fills())
    fh.write(b'],"rejected_rows":[')
    _write_array(fh, rejected_rows())
    fh.write(('],"summary":' + dumps_exact(dict(summary())) + "}").encode())
    return written


def _write_array(fh: IO[bytes], items: Iterable[Mapping[str, Any]]) -> int:
    written = 0
    batch: list[Mapping[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= _BATCH:
            written += _flush(fh, batch, first=written == 0)
    if batch:
        written += _flush(fh, batch, first=written == 0)
    return written


def _flush(fh: IO[bytes], batch: list[Mapping[str, Any]], first: bool) -> int:
    count = len(batch)
    fh.write((("" if first else ",") + dumps_exact(batch)[1:-1]).encode())
    batch.clear()
    return count
