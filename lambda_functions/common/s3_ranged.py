"""Reading one S3 object in ranged GETs, a connection per request: nothing stays open between reads.

The aggregator reads hundreds of per-symbol files side by side; one open GET each would sit idle for long
stretches, get reset, and overflow botocore's connection pool. A failed chunk is simply fetched again.
"""

from __future__ import annotations

import io
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_functions.common.results_store import ResultNotFoundError

CHUNK_ATTEMPTS = 3
_CONTENT_RANGE = re.compile(r"bytes \d+-\d+/(\d+)")


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
