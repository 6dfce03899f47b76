"""The aggregator on a private S3 bucket (moto in-process): document, presigned URL, no public ACL."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError
from moto import mock_aws

from lambda_functions.aggregator import sources
from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.aggregator.sources import (
    CHUNK_BUDGET_BYTES,
    MAX_CHUNK_BYTES,
    MIN_CHUNK_BYTES,
    chunk_size_for,
)
from lambda_functions.common.keys import result_key
from lambda_functions.common.results_store import ResultNotFoundError, S3ResultsStore
from lambda_functions.common.s3_ranged import CHUNK_ATTEMPTS, RangedObjectReader
from lambda_functions.common.streams import newest_first_key
from tests.aggregator.factory import (
    EXECUTION,
    PREFIX,
    FakeClock,
    make_orders,
    worker_summary,
    write_symbol_file,
)

pytestmark = pytest.mark.aws

BUCKET = "bitget-results-test"
REGION = "us-east-2"


@pytest.fixture
def s3_store(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield S3ResultsStore(client, BUCKET, REGION)


def test_s3_document_presigned_url_and_private_objects(s3_store, monkeypatch) -> None:
    # 400 orders (~200 KB) per symbol in 64 KiB chunks: several ranged reads per file, interleaved
    monkeypatch.setattr(sources, "MAX_CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(sources, "MIN_CHUNK_BYTES", 64 * 1024)
    files = {s: make_orders(s, 400, seed=i) for i, s in enumerate(["BTCUSDT", "ETHUSDT"])}
    for symbol, orders in files.items():
        write_symbol_file(s3_store, symbol, orders)
    settings = AggregatorSettings(results_prefix=PREFIX, presigned_url_expires=900)
    aggregator = AggregatorFunction(Dependencies(store=s3_store, settings=settings, clock=FakeClock()))

    response = aggregator(
        {"execution": EXECUTION, "symbols": list(files), "results": [worker_summary(s, 400) for s in files]},
        None,
    )

    key = result_key(PREFIX, EXECUTION)
    union = sorted((o for v in files.values() for o in v), key=newest_first_key, reverse=True)
    assert s3_store.get_json(key)["orders"] == union
    assert response["s3_uri"] == f"s3://{BUCKET}/{key}"
    url = urlsplit(response["s3_data_url"])
    query = parse_qs(url.query)
    assert url.scheme == "https"
    assert url.path.endswith(key)
    assert query["X-Amz-Expires"] == ["900"]
    assert "X-Amz-Signature" in query
    assert s3_store.key_from_url(response["s3_data_url"]) == key
    # every object left is private: the owner's grant and nothing else
    remaining = s3_store.list_keys(PREFIX)
    assert remaining == [f"{PREFIX}{EXECUTION}/manifest.json", key]
    for object_key in remaining:
        grants = s3_store.client.get_object_acl(Bucket=BUCKET, Key=object_key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)


class CountingClient:
    """Wraps the moto client: counts ranged GETs and can fail the first `failures` of them."""

    def __init__(self, client, failures: int = 0) -> None:
        self.client = client
        self.failures = failures
        self.ranges: list[str] = []

    def get_object(self, **kwargs):
        self.ranges.append(kwargs["Range"])
        if self.failures:
            self.failures -= 1
            raise ConnectionClosedError(endpoint_url="https://s3.us-east-2.amazonaws.com")
        return self.client.get_object(**kwargs)


def test_ranged_reader_reads_the_whole_object_in_chunks(s3_store) -> None:
    payload = bytes(range(256)) * 40  # 10,240 bytes
    s3_store.client.put_object(Bucket=BUCKET, Key="k", Body=payload)
    client = CountingClient(s3_store.client)
    with io.BufferedReader(RangedObjectReader(client, BUCKET, "k"), buffer_size=4096) as fh:
        assert b"".join(iter(lambda: fh.read(1000), b"")) == payload  # reads smaller than a chunk, as ijson's
    assert client.ranges[:3] == ["bytes=0-4095", "bytes=4096-8191", "bytes=8192-12287"]
    assert len(client.ranges) == 3  # the size is known from Content-Range: no request past the end


def test_ranged_reader_retries_a_failed_chunk(s3_store) -> None:
    s3_store.client.put_object(Bucket=BUCKET, Key="k", Body=b'{"orders":[]}')
    client = CountingClient(s3_store.client, failures=2)
    with io.BufferedReader(RangedObjectReader(client, BUCKET, "k"), buffer_size=4096) as fh:
        assert fh.read(1000) == b'{"orders":[]}'
    assert client.ranges == ["bytes=0-4095"] * 3


def test_ranged_reader_gives_up_after_the_attempts(s3_store) -> None:
    s3_store.client.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    client = CountingClient(s3_store.client, failures=CHUNK_ATTEMPTS)
    with pytest.raises(ConnectionClosedError):
        RangedObjectReader(client, BUCKET, "k").read(10)


def test_ranged_reader_handles_empty_and_missing_objects(s3_store) -> None:
    s3_store.client.put_object(Bucket=BUCKET, Key="empty", Body=b"")
    assert RangedObjectReader(s3_store.client, BUCKET, "empty").read(10) == b""
    with pytest.raises(ResultNotFoundError):
        RangedObjectReader(s3_store.client, BUCKET, "absent").read(10)


def test_chunk_size_keeps_all_chunks_within_the_budget() -> None:
    assert chunk_size_for(1) == MAX_CHUNK_BYTES
    assert chunk_size_for(50) * 50 <= CHUNK_BUDGET_BYTES
    assert chunk_size_for(5000) == MIN_CHUNK_BYTES
