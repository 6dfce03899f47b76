"""The results store: one interface, a local directory or a private S3 bucket behind it.

Workers write per-symbol files, the aggregator streams them into one document, the API hydrates the
database from it. Writes are atomic (a reader never sees half a file) and idempotent (a Step Functions
retry that writes the same key again simply replaces it). Nothing is ever public: S3 objects are shared
by presigned URL, local files through the API's results route.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from lambda_functions.common.exact_json import dumps_exact

# Above this size an S3 upload spills to disk instead of memory (and boto3 switches to multipart).
_SPOOL_BYTES = 8 * 1024 * 1024


class ResultNotFoundError(KeyError):
    """The key does not exist in the results store."""


class ResultsStore(Protocol):
    def writer(self, key: str) -> Any:
        """Context manager yielding a binary file; the object appears only when the block succeeds."""

    def reader(self, key: str) -> Any:
        """Context manager yielding a binary file to read (raises ResultNotFoundError)."""

    def put_json(self, key: str, obj: Any) -> None: ...

    def create_json(self, key: str, obj: Any) -> bool:
        """Write `obj` only if `key` does not exist yet, atomically; False when it already did (a claim)."""

    def get_json(self, key: str) -> Any: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def uri(self, key: str) -> str:
        """A stable address for the service's own reads (`s3://bucket/key`, `file:///...`)."""

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A URL a client can download from (presigned on S3, the API's results route locally)."""

    def key_from_url(self, url: str) -> str | None:
        """The key a URL of this store points at, or None when the URL is not this deployment's."""


def dumps_compact(obj: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept, Decimal numbers exact): the bytes of every results file."""
    return dumps_exact(obj).encode()


class LocalResultsStore:
    """Files under one directory; `base_url` is where the API serves them (the embedded results route)."""

    def __init__(self, root: str | os.PathLike[str], base_url: str = "") -> None:
        self.root = Path(root).resolve()
        self.base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not key or key.startswith("/") or not path.is_relative_to(self.root):
            raise ValueError(f"invalid results key: {key!r}")
        return path

    @contextmanager
    def writer(self, key: str) -> Iterator[IO[bytes]]:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def reader(self, key: str) -> Iterator[IO[bytes]]:
        try:
            fh = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ResultNotFoundError(key) from exc
        with fh:
            yield fh

    def put_json(self, key: str, obj: Any) -> None:
        with self.writer(key) as fh:
            fh.write(dumps_compact(obj))

    def create_json(self, key: str, obj: Any) -> bool:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(dumps_compact(obj))
        try:
            os.link(tmp, path)  # fails when the key exists: the first creator wins, whole
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)
        return True

    def get_json(self, key: str) -> Any:
        with self.reader(key) as fh:
            return json.load(fh)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        directory = base if prefix.endswith("/") or not prefix else base.parent
        if not directory.is_dir():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in directory.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not Path(k).name.startswith("."))

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"{self.base_url}/{key}"

    def key_from_url(self, url: str) -> str | None:
        if not self.base_url or not url.startswith(self.base_url + "/"):
            return None
        key = unquote(urlsplit(url).path[len(urlsplit(self.base_url).path) + 1 :])
        try:
            self._path(key)
        except ValueError:
            return None
        return key


class S3ResultsStore:
    """A private S3 bucket; `client` is a boto3 S3 client built once by the caller."""

    def __init__(self, client: Any, bucket: str, region: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.region = region

    @contextmanager
    def writer(self, key: str) -> Iterator[IO[bytes]]:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            yield spool
            spool.seek(0)
            # A single PUT (or multipart upload) is atomic on S3: readers see the old object or the new one.
            self.client.upload_fileobj(spool, self.bucket, key, ExtraArgs={"ContentType": "application/json"})

    @contextmanager
    def reader(self, key: str) -> Iterator[IO[bytes]]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self.client.exceptions.NoSuchKey as exc:
            raise ResultNotFoundError(key) from exc
        try:
            yield body
        finally:
            body.close()

    def put_json(self, key: str, obj: Any) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=dumps_compact(obj), ContentType="application/json"
        )

    def create_json(self, key: str, obj: Any) -> bool:
        try:  # S3 conditional write: refused with 412 when the key exists
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=dumps_compact(obj),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return False
            raise
        return True

    def get_json(self, key: str) -> Any:
        with self.reader(key) as fh:
            return json.load(fh)

    def exists(self, key: str) -> bool:
        response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(obj["Key"] == key for obj in response.get("Contents", []))

    def delete(self, keys: Iterable[str]) -> None:
        batch = [{"Key": k} for k in keys]
        for start in range(0, len(batch), 1000):  # DeleteObjects takes at most 1000 keys
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch[start : start + 1000]})

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def url(self, key: str, expires_s: int = 3600) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s
            )
        )

    def key_from_url(self, url: str) -> str | None:
        """Accepts the virtual-hosted and path-style addresses of this bucket only, regional
        (`<bucket>.s3.<region>.amazonaws.com`, what `url` gives: common/config.py) or global, China included."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return None
        host, path = parts.hostname, unquote(parts.path)
        aws_host = host.endswith((".amazonaws.com", ".amazonaws.com.cn"))
        if aws_host and host.startswith(f"{self.bucket}.s3."):
            key = path.lstrip("/")
        elif aws_host and host.startswith("s3.") and path.startswith(f"/{self.bucket}/"):
            key = path[len(self.bucket) + 2 :]
        else:
            return None
        return key or None


def key_from_s3_uri(uri: str, bucket: str) -> str | None:
    """`s3://bucket/key` → key, when the bucket is ours."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or parts.netloc != bucket:
        return None
    return parts.path.lstrip("/") or None
