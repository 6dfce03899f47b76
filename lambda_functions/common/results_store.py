"""The results store: one interface, a local directory or a private S3 bucket behind it.

Workers write per-symbol files, the aggregator streams them into one document, the API hydrates the
database from it. Writes are atomic (a reader never sees half a file) and idempotent (a Step Functions
retry that writes the same key again simply replaces it). Nothing is ever public: S3 objects are shared
by presigned URL, local files through the API's results route.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
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

    def key_from_uri(self, uri: str) -> str | None:
        """The key a `uri()` of this store names, or None when the URI is not this store's."""

    def chunked_reader(self, key: str, chunk_bytes: int) -> AbstractContextManager[IO[bytes]]:
        """A binary stream suited to reading many objects side by side (on S3: ranged GETs of `chunk_bytes`,
        no connection held between reads)."""

    def local_file(self, key: str) -> Path | None:
        """The file behind `key` in a store that keeps files; None on S3 (it serves its own). ValueError for a
        key that names no file of the store: outside it, `..`, an empty or a hidden (dot) name."""

    def folders(self, prefix: str) -> list[str]:
        """The names directly under `prefix` that hold objects (locally: every directory there), sorted."""

    def last_modified(self, prefix: str) -> dt.datetime | None:
        """When an object under `prefix` last changed (locally: the newest file's mtime); None when nothing is
        there or the store does not tell (S3: its lifecycle rule expires objects by age)."""

    def prune(self, prefix: str) -> None:
        """Remove the empty directories under `prefix` a local store keeps after its files were deleted."""


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

    def key_from_uri(self, uri: str) -> str | None:
        if not uri.startswith("file://"):
            return None
        path = Path(urlsplit(uri).path)
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else None

    def chunked_reader(self, key: str, chunk_bytes: int) -> AbstractContextManager[IO[bytes]]:
        reader: AbstractContextManager[IO[bytes]] = self.reader(key)  # a file handle is all it takes
        return reader

    def local_file(self, key: str) -> Path | None:
        parts = key.split("/")
        if ".." in parts or "" in parts[:-1] or key.startswith("/"):
            raise ValueError(f"invalid results key: {key!r}")
        try:
            path = (self.root / key).resolve()
        except (OSError, ValueError):
            raise ValueError(f"invalid results key: {key!r}") from None
        if not path.is_relative_to(self.root) or path.name.startswith("."):
            raise ValueError(f"invalid results key: {key!r}")
        return path

    def folders(self, prefix: str) -> list[str]:
        top = self.root / prefix
        return sorted(p.name for p in top.iterdir() if p.is_dir()) if top.is_dir() else []

    def last_modified(self, prefix: str) -> dt.datetime | None:
        files = [p for p in (self.root / prefix).rglob("*") if p.is_file()]
        if not files:
            return None
        return dt.datetime.fromtimestamp(max(p.stat().st_mtime for p in files), dt.UTC)

    def prune(self, prefix: str) -> None:
        if not prefix:
            return
        top = (self.root / prefix).resolve()
        if not top.is_relative_to(self.root) or top == self.root or not top.is_dir():
            return
        for directory in sorted(
            (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
        ):
            _rmdir_if_empty(directory)
        _rmdir_if_empty(top)


def _rmdir_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (e.g. a write in progress): kept
        directory.rmdir()


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

    def key_from_uri(self, uri: str) -> str | None:
        if not uri.startswith("s3://") or not self.bucket:
            return None
        return key_from_s3_uri(uri, self.bucket)

    def chunked_reader(self, key: str, chunk_bytes: int) -> AbstractContextManager[IO[bytes]]:
        from lambda_functions.common.s3_ranged import RangedObjectReader  # it needs this module's error

        raw = RangedObjectReader(self.client, self.bucket, key)
        return closing(io.BufferedReader(raw, buffer_size=chunk_bytes))

    def local_file(self, key: str) -> Path | None:
        return None

    def folders(self, prefix: str) -> list[str]:
        names = {
            key[len(prefix) :].split("/", 1)[0] for key in self.list_keys(prefix) if "/" in key[len(prefix) :]
        }
        return sorted(names)

    def last_modified(self, prefix: str) -> dt.datetime | None:
        return None

    def prune(self, prefix: str) -> None:
        return None  # S3 has no directories


def key_from_s3_uri(uri: str, bucket: str) -> str | None:
    """`s3://bucket/key` → key, when the bucket is ours."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or parts.netloc != bucket:
        return None
    return parts.path.lstrip("/") or None
