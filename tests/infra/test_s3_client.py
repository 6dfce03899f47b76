"""Presigned `s3_data_url`s work for a bucket in any region: SigV4 and the bucket's regional endpoint.

botocore's defaults presign with SigV2 on the global host in us-east-1 and eu-west-1 (among others): links
that newer regions refuse and that a bucket outside us-east-1 answers with a redirect. The results store's
client (lambda_functions/common/config.py) must never produce them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from moto import mock_aws

from lambda_functions.common.config import StoreSettings, build_results_store, s3_client_config
from lambda_functions.common.results_store import S3ResultsStore

KEY = "bitget-results/20250101T000000Z-abcdef12-abcdef/result.json"
REGIONS = ["us-east-1", "us-east-2", "eu-west-1", "eu-central-2", "ap-east-1", "sa-east-1", "il-central-1"]


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)


def store_for(bucket: str, region: str, results_bucket_region: str = "") -> S3ResultsStore:
    settings = StoreSettings(
        _env_file=None,
        results_bucket=bucket,
        aws_default_region=region,
        results_bucket_region=results_bucket_region,
    )
    store = build_results_store(settings)
    assert isinstance(store, S3ResultsStore)
    return store


def signed(url: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return str(parts.hostname), parts.path, query


@pytest.mark.parametrize("region", REGIONS)
def test_presigned_urls_are_sigv4_on_the_buckets_regional_virtual_host(region):
    store = store_for("my-results-bucket", region)
    url = store.url(KEY, expires_s=600)
    host, path, query = signed(url)
    assert url.startswith("https://")
    assert host == f"my-results-bucket.s3.{region}.amazonaws.com"
    assert path == f"/{KEY}"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].endswith(f"/{region}/s3/aws4_request")
    assert query["X-Amz-Expires"] == "600"
    assert "X-Amz-Signature" in query and "Signature" not in query and "AWSAccessKeyId" not in query
    assert store.key_from_url(url) == KEY


def test_the_buckets_own_region_wins_over_the_default_region():
    # the API may run in another region than the stack: RESULTS_BUCKET_REGION names the bucket's
    store = store_for("my-results-bucket", "us-east-2", results_bucket_region="ap-southeast-2")
    host, _, query = signed(store.url(KEY))
    assert host == "my-results-bucket.s3.ap-southeast-2.amazonaws.com"
    assert query["X-Amz-Credential"].endswith("/ap-southeast-2/s3/aws4_request")
    assert store.region == "ap-southeast-2"


def test_china_regions_use_their_own_domain():
    store = store_for("my-results-bucket", "cn-north-1")
    url = store.url(KEY)
    assert signed(url)[0] == "my-results-bucket.s3.cn-north-1.amazonaws.com.cn"
    assert store.key_from_url(url) == KEY


def test_a_dotted_bucket_name_keeps_path_style_on_the_regional_host():
    # a virtual host with dots (my.results.s3.<region>...) fails the *.s3.<region> TLS certificate
    store = store_for("my.results", "eu-west-1")
    url = store.url(KEY)
    host, path, query = signed(url)
    assert (host, path) == ("s3.eu-west-1.amazonaws.com", f"/my.results/{KEY}")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert store.key_from_url(url) == KEY


def test_other_buckets_and_hosts_are_not_ours():
    store = store_for("my-results-bucket", "eu-west-1")
    assert store.key_from_url(f"https://other.s3.eu-west-1.amazonaws.com/{KEY}") is None
    assert store.key_from_url(f"https://my-results-bucket.s3.eu-west-1.evil.com/{KEY}") is None
    assert store.key_from_url(f"http://my-results-bucket.s3.eu-west-1.amazonaws.com/{KEY}") is None
    assert store.key_from_url(f"https://s3.eu-west-1.amazonaws.com/other/{KEY}") is None


def test_client_config_names_sigv4_and_the_regional_endpoint():
    config = s3_client_config("bucket")
    assert config.signature_version == "s3v4"
    assert config.s3 == {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}


@pytest.mark.aws
@mock_aws
def test_the_presigned_url_downloads_from_a_bucket_outside_the_default_region():
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="my-results-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    store = store_for("my-results-bucket", "eu-west-1")
    store.put_json(KEY, {"orders": [{"orderId": "1"}]})
    url = store.url(KEY)
    assert requests.get(url, timeout=10).json() == {"orders": [{"orderId": "1"}]}
