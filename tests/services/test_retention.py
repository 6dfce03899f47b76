"""Results retention: the objects of executions that ended more than N days ago expire; nothing else does."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from app.services import retention
from app.services.retention import expire_results
from lambda_functions.common.keys import manifest_key, result_key, symbol_orders_key
from lambda_functions.common.results_store import LocalResultsStore, S3ResultsStore

PREFIX = "bitget-results/"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def iso(days_ago: float, base: dt.datetime = NOW) -> str:
    return (base - dt.timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")


def put_execution(
    store, name: str, status: str, stopped_days_ago: float | None, started_days_ago: float = 40, base=NOW
) -> None:
    manifest = {
        "execution": name,
        "status": status,
        "symbols": ["BTCUSDT"],
        "started_at": iso(started_days_ago, base),
    }
    if stopped_days_ago is not None:
        manifest["stopped_at"] = iso(stopped_days_ago, base)
    store.put_json(manifest_key(PREFIX, name), manifest)
    store.put_json(result_key(PREFIX, name), {"orders": []})
    store.put_json(symbol_orders_key(PREFIX, name, "BTCUSDT"), {"orders": []})


@pytest.fixture
def store(tmp_path: Path) -> LocalResultsStore:
    return LocalResultsStore(tmp_path / "results", "http://test/results")


def populate(store) -> None:
    put_execution(store, "old-ok", "SUCCEEDED", 31)
    put_execution(store, "old-failed", "FAILED", 45)
    put_execution(store, "recent", "SUCCEEDED", 29, started_days_ago=31)  # counts from its end, not its start
    put_execution(store, "old-running", "RUNNING", None, started_days_ago=100)
    put_execution(store, "old-unsaved", "SUCCEEDED", 60)
    store.put_json(f"{PREFIX}_health/probe.json", {})  # not an execution


def names(store) -> set[str]:
    return {key[len(PREFIX) :].split("/")[0] for key in store.list_keys(PREFIX)}


def test_old_finished_executions_expire_and_the_rest_stays(store) -> None:
    populate(store)
    asked: list[list[str]] = []

    def awaiting_save(candidates: list[str]) -> set[str]:
        asked.append(sorted(candidates))
        return {"old-unsaved"}

    report = expire_results(store, PREFIX, retention_days=30, now=NOW, awaiting_save=awaiting_save)
    assert sorted(report.expired) == ["old-failed", "old-ok"]
    assert report.objects_deleted == 6
    assert (report.kept_running, report.kept_unsaved) == (1, ["old-unsaved"])
    assert asked == [["old-failed", "old-ok", "old-unsaved"]]
    assert names(store) == {"recent", "old-running", "old-unsaved", "_health"}
    assert not (store.root / PREFIX / "old-ok").exists()  # no empty directories left behind


def test_zero_days_keeps_everything_and_a_dry_run_deletes_nothing(store) -> None:
    populate(store)
    assert expire_results(store, PREFIX, retention_days=0, now=NOW).expired == []
    dry = expire_results(store, PREFIX, retention_days=30, now=NOW, dry_run=True)
    assert sorted(dry.expired) == ["old-failed", "old-ok", "old-unsaved"]
    assert len(names(store)) == 6


def test_files_without_a_manifest_count_from_their_last_change(store) -> None:
    store.put_json(symbol_orders_key(PREFIX, "orphan", "BTCUSDT"), {"orders": []})
    store.put_json(symbol_orders_key(PREFIX, "fresh-orphan", "BTCUSDT"), {"orders": []})
    old = (NOW - dt.timedelta(days=40)).timestamp()
    os.utime(store.root / symbol_orders_key(PREFIX, "orphan", "BTCUSDT"), (old, old))
    report = expire_results(store, PREFIX, retention_days=30, now=NOW)
    assert report.expired == ["orphan"]
    assert names(store) == {"fresh-orphan"}


def test_an_s3_store_is_swept_by_manifest(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="results")
        store = S3ResultsStore(client, "results", "us-east-1")
        populate(store)
        report = expire_results(
            store, PREFIX, retention_days=30, now=NOW, awaiting_save=lambda n: {"old-unsaved"}
        )
        assert sorted(report.expired) == ["old-failed", "old-ok"]
        assert names(store) == {"recent", "old-running", "old-unsaved", "_health"}


def test_the_command_line_sweeps_the_configured_store(tmp_path, monkeypatch, capsys) -> None:
    results = tmp_path / "results"
    store = LocalResultsStore(results, "http://test/results")
    now = dt.datetime.now(dt.UTC)
    put_execution(store, "ancient", "SUCCEEDED", 400, started_days_ago=401, base=now)
    put_execution(store, "today", "SUCCEEDED", 0, started_days_ago=0, base=now)
    for name, value in {
        "RESULTS_DIR": str(results),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "RESULTS_RETENTION_DAYS": "30",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert retention.main(["--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["expired"] == ["ancient"]
    assert names(store) == {"ancient", "today"}
    assert retention.main([]) == 0
    assert names(store) == {"today"}
