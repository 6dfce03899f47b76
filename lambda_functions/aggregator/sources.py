"""Opening the per-symbol orders files for the merge.

Locally a file handle is all it takes. On S3 the merge would otherwise hold one open GET per symbol for the
whole run, most of them idle for long stretches (a symbol whose orders are all old is read only at the end):
idle connections get reset, and hundreds of them overflow botocore's connection pool. So S3 objects are read
in ranged GETs of one chunk each, a connection per request: nothing stays open between reads, a failed chunk
is simply fetched again, and memory is one chunk per symbol, sized so all chunks together stay within
`CHUNK_BUDGET_BYTES`.
"""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager, closing
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore, S3ResultsStore

CHUNK_BUDGET_BYTES = 64 * 1024 * 1024
MIN_CHUNK_BYTES = 128 * 1024  # 500 symbols (the coordinator's maximum) x 128 KiB = 64 MiB
MAX_CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_ATTEMPTS = 3
_CONTENT_RANGE = re.compile(r"bytes \d+-\d+/(\d+)")


def chunk_size_for(sources: int) -> int:
    """Bytes per ranged GET when `sources` files are read side by side."""
    return max(MIN_CHUNK_BYTES, min(MAX_CHUNK_BYTES, CHUNK_BUDGET_BYTES // max(1, sources)))


class RangedObjectReader(io.RawIOBase):
    """A read-only raw stream over one S3 object, each read one ranged GET (retried on transient errors)."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._pos = 0
        self._size: int | None = None  # learnt from the first response's Content-Range

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if (self._size is not None and self._pos >= self._size) or not len(buffer):
            return 0
        data = self._fetch(self._pos, self._pos + len(buffer) - 1)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _fetch(self, first: int, last: int) -> bytes:
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            try:
                response = self._client.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={first}-{last}"
                )
                data: bytes = response["Body"].read()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("NoSuchKey", "404"):
                    raise ResultNotFoundError(self._key) from exc
                if code == "InvalidRange":  # reading at or past the end (also: an empty object)
                    self._size = first
                    return b""
                raise
            except (BotoCoreError, OSError):
                if attempt == CHUNK_ATTEMPTS:
                    raise
                continue
            match = _CONTENT_RANGE.fullmatch(str(response.get("ContentRange", "")))
            self._size = int(match.group(1)) if match else first + len(data)
            return data
        raise AssertionError("unreachable")  # the loop returns or raises


def open_orders(store: ResultsStore, key: str, sources: int) -> AbstractContextManager[IO[bytes]]:
    """A binary stream of one per-symbol file, suited to reading `sources` files side by side."""
    if isinstance(store, S3ResultsStore):
        raw = RangedObjectReader(store.client, store.bucket, key)
        return closing(io.BufferedReader(raw, buffer_size=chunk_size_for(sources)))
    reader: AbstractContextManager[IO[bytes]] = store.reader(key)
    return reader
