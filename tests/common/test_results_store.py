"""The results store: atomic local writes, traversal rejected, URL <-> key mapping, and S3 under moto."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from moto import mock_aws

from lambda_functions.common.config import StoreSettings, build_results_store
from lambda_functions.common.results_store import (
    LocalResultsStore,
    ResultNotFoundError,
    S3ResultsStore,
    key_from_s3_uri,
)


@pytest.fixture
def local(tmp_path):
    return LocalResultsStore(tmp_path / "results", "http://127.0.0.1:8000/results")


def test_local_round_trip_and_listing(local):
    local.put_json("p/exec-1/symbols/BTCUSDT.json", {"orders": [1, 2]})
    local.put_json("p/exec-1/manifest.json", {"status": "RUNNING"})

    assert local.get_json("p/exec-1/symbols/BTCUSDT.json") == {"orders": [1, 2]}
    assert local.list_keys("p/exec-1/") == ["p/exec-1/manifest.json", "p/exec-1/symbols/BTCUSDT.json"]
    assert local.list_keys("p/exec-1/symbols/") == ["p/exec-1/symbols/BTCUSDT.json"]
    assert local.exists("p/exec-1/manifest.json")
    local.delete(["p/exec-1/manifest.json", "p/exec-1/absent.json"])
    assert not local.exists("p/exec-1/manifest.json")


def test_local_failed_write_leaves_previous_version_and_no_temp_file(local):
    local.put_json("k.json", {"v": 1})

    def die_mid_write() -> None:
        with local.writer("k.json") as fh:
            fh.write(b'{"v": 2, "half')
            raise RuntimeError("worker died mid-write")

    with pytest.raises(RuntimeError):
        die_mid_write()

    assert local.get_json("k.json") == {"v": 1}
    assert local.list_keys("") == ["k.json"]


def test_local_missing_key_raises_not_found(local):
    with pytest.raises(ResultNotFoundError), local.reader("nope.json"):
        pass


@pytest.mark.parametrize("key", ["../escape.json", "/etc/passwd", "", "a/../../b.json"])
def test_local_rejects_keys_outside_the_root(local, key):
    with pytest.raises(ValueError, match="invalid results key"):
        local.put_json(key, {})


def test_local_url_maps_back_to_its_key_only(local):
    url = local.url("p/exec-1/result.json")
    assert url == "http://127.0.0.1:8000/results/p/exec-1/result.json"
    assert local.key_from_url(url) == "p/exec-1/result.json"
    assert local.key_from_url("http://evil.example/results/p/exec-1/result.json") is None
    assert local.key_from_url("http://127.0.0.1:8000/results/../../etc/passwd") is None


def test_settings_pick_s3_only_with_a_bucket(monkeypatch, tmp_path):
    monkeypatch.delenv("RESULTS_BUCKET", raising=False)
    assert StoreSettings(results_dir=str(tmp_path)).results_store == "local"
    assert StoreSettings(results_bucket="b").results_store == "s3"
    with pytest.raises(ValueError, match="RESULTS_BUCKET"):
        StoreSettings(results_store="s3", results_bucket="")


@pytest.mark.aws
@mock_aws
def test_s3_store_round_trip_presign_and_url_mapping():
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket="results", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    store = build_results_store(StoreSettings(results_bucket="results", aws_default_region="us-east-2"), s3)
    assert isinstance(store, S3ResultsStore)

    with store.writer("p/e/result.json") as fh:
        fh.write(json.dumps({"orders": []}).encode())
    store.put_json("p/e/manifest.json", {"status": "SUCCEEDED"})

    assert store.get_json("p/e/result.json") == {"orders": []}
    assert store.list_keys("p/e/") == ["p/e/manifest.json", "p/e/result.json"]
    assert store.exists("p/e/result.json")
    assert not store.exists("p/e/result")
    assert store.uri("p/e/result.json") == "s3://results/p/e/result.json"
    assert key_from_s3_uri(store.uri("p/e/result.json"), "results") == "p/e/result.json"
    assert key_from_s3_uri("s3://other/p/e/result.json", "results") is None

    url = store.url("p/e/result.json", expires_s=60)
    assert "X-Amz-Signature" in url or "Signature" in url
    assert store.key_from_url(url) == "p/e/result.json"
    assert (
        store.key_from_url("https://s3.us-east-2.amazonaws.com/results/p/e/result.json") == "p/e/result.json"
    )
    assert store.key_from_url("https://other.s3.amazonaws.com/p/e/result.json") is None
    assert store.key_from_url("http://results.s3.amazonaws.com/p/e/result.json") is None
    assert requests.get(url, timeout=5).json() == {"orders": []}

    store.delete(["p/e/result.json", "p/e/manifest.json"])
    assert store.list_keys("p/") == []
    with pytest.raises(ResultNotFoundError), store.reader("p/e/result.json"):
        pass


def test_create_json_lets_the_first_creator_win_in_both_stores(local):
    def check(store):
        assert store.create_json("p/e/runs/1.json", {"by": "first"}) is True
        assert store.create_json("p/e/runs/1.json", {"by": "second"}) is False
        assert store.get_json("p/e/runs/1.json") == {"by": "first"}
        assert store.list_keys("p/e/runs/") == ["p/e/runs/1.json"]  # no temporary file left behind

    check(local)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-2")
        s3.create_bucket(Bucket="claims", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        check(S3ResultsStore(s3, "claims", "us-east-2"))


def test_local_store_answers_what_callers_used_to_read_from_its_root(local):
    local.put_json("p/exec-1/symbols/BTCUSDT.json", {"orders": []})
    local.put_json("p/exec-2/manifest.json", {})
    (local.root / "p" / "empty" / "deep").mkdir(parents=True)

    assert local.key_from_uri(local.uri("p/exec-1/symbols/BTCUSDT.json")) == "p/exec-1/symbols/BTCUSDT.json"
    assert local.key_from_uri("file:///elsewhere/p/x.json") is None
    assert local.key_from_uri("s3://results/p/x.json") is None
    assert local.local_file("p/exec-2/manifest.json") == local.root / "p" / "exec-2" / "manifest.json"
    for refused in ("p/../x.json", "p//x.json", "/p/x.json", "p/.hidden.json"):
        with pytest.raises(ValueError, match="invalid results key"):
            local.local_file(refused)
    assert local.folders("p/") == ["empty", "exec-1", "exec-2"]  # a directory without files counts locally
    assert local.last_modified("p/exec-1/") is not None
    assert local.last_modified("p/empty/") is None
    with local.chunked_reader("p/exec-2/manifest.json", 4096) as fh:
        assert json.load(fh) == {}

    local.delete(local.list_keys("p/exec-1/"))
    local.prune("p/exec-1/")
    local.prune("p/empty/")
    assert local.folders("p/") == ["exec-2"]


@pytest.mark.aws
@mock_aws
def test_s3_store_answers_the_same_questions_without_files():
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket="results", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    store = S3ResultsStore(s3, "results", "us-east-2")
    store.put_json("p/exec-1/symbols/BTCUSDT.json", {"orders": []})
    store.put_json("p/exec-2/manifest.json", {"status": "RUNNING"})
    store.put_json("p/top.json", {})

    assert store.key_from_uri("s3://results/p/exec-2/manifest.json") == "p/exec-2/manifest.json"
    assert store.key_from_uri("s3://other/p/exec-2/manifest.json") is None
    assert store.key_from_uri("file:///p/exec-2/manifest.json") is None
    assert store.local_file("p/exec-2/manifest.json") is None  # S3 serves its own files
    assert store.folders("p/") == ["exec-1", "exec-2"]  # p/top.json is no folder
    assert store.last_modified("p/exec-1/") is None
    store.prune("p/exec-1/")  # nothing to do: no directories
    assert store.list_keys("p/exec-1/") == ["p/exec-1/symbols/BTCUSDT.json"]
    with store.chunked_reader("p/exec-2/manifest.json", 4096) as fh:
        assert json.load(fh) == {"status": "RUNNING"}
