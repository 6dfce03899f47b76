"""Opening the per-symbol orders files for the merge.

Locally a file handle is all it takes. On S3 the merge would otherwise hold one open GET per symbol for the
whole run, most of them idle for long stretches (a symbol whose orders are all old is read only at the end):
idle connections get reset, and hundreds of them overflow botocore's connection pool. So S3 objects are read
in ranged GETs of one chunk each, a connection per request: nothing stays open between reads, a failed chunk
is simply fetched again, and memory is one chunk per symbol, sized so all chunks together stay within
`CHUNK_BUDGET_BYTES`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import IO

from lambda_functions.common.results_store import ResultsStore

CHUNK_BUDGET_BYTES = 64 * 1024 * 1024
MIN_CHUNK_BYTES = 128 * 1024  # 500 symbols (the coordinator's maximum) x 128 KiB = 64 MiB
MAX_CHUNK_BYTES = 8 * 1024 * 1024


def chunk_size_for(sources: int) -> int:
    """Bytes per ranged GET when `sources` files are read side by side."""
    return max(MIN_CHUNK_BYTES, min(MAX_CHUNK_BYTES, CHUNK_BUDGET_BYTES // max(1, sources)))


def open_orders(store: ResultsStore, key: str, sources: int) -> AbstractContextManager[IO[bytes]]:
    """A binary stream of one per-symbol file, suited to reading `sources` files side by side."""
    return store.chunked_reader(key, chunk_size_for(sources))
