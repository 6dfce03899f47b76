"""A run that ends early: at the execution's deadline (continuation needed) or on a cancel (ABORTED), and the
manifest's record of an execution's runs."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_functions.aggregator.runs import busy_seconds, close_run, stop_reason
from lambda_functions.common.keys import manifest_key, result_key, symbol_detail_key, symbol_orders_key
from tests.aggregator.conftest import RUNNING_MANIFEST
from tests.aggregator.factory import (
    BASE_MS,
    EXECUTION,
    PREFIX,
    make_orders,
    worker_summary,
    write_symbol_file,
)

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
USER_ARN = RUNNING_MANIFEST["execution_arn"]
RUN_ARN = f"{USER_ARN}-r1"


@pytest.fixture
def two_symbols(store):
    files = {symbol: make_orders(symbol, 30, seed=i) for i, symbol in enumerate(SYMBOLS)}
    for symbol, orders in files.items():
        write_symbol_file(store, symbol, orders)
    return files


def stopped(symbol, orders, reason):
    keyword: dict[str, Any] = {"continue": False}  # `continue` is a Python keyword: passed by name this way
    return worker_summary(symbol, orders, done=False, complete=False, reason=reason, **keyword)


def resumed_manifest(store):
    run = {"name": f"{EXECUTION}-r1", "run_arn": "predicted", "started_at": "2025-10-09T08:53:00.000Z"}
    manifest = RUNNING_MANIFEST | {"busy_s": 60.0, "runs": [run | {"stopped_at": None}]}
    store.put_json(manifest_key(PREFIX, EXECUTION), manifest)
    return manifest


def test_a_run_stopped_at_the_deadline_asks_for_a_continuation_and_keeps_every_file(run, store, two_symbols):
    resumed_manifest(store)
    results = [worker_summary("BTCUSDT", 30, done=True), stopped("ETHUSDT", 12, "deadline")]
    event = {"execution": EXECUTION, "symbols": SYMBOLS, "results": results, "execution_arn": RUN_ARN}
    answer = run(event)
    assert answer == {
        "execution": EXECUTION,
        "status": "RUNNING",
        "continuation_needed": True,
        "symbols_pending": 1,
    }
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert (manifest["status"], manifest["continuation_needed"]) == ("RUNNING", True)
    assert manifest["run_stopped_at"] is not None
    assert manifest["runs"][-1]["run_arn"] == RUN_ARN  # the exact ARN replaces the predicted one
    assert manifest["runs"][-1]["stopped_at"] == manifest["run_stopped_at"]
    assert manifest["execution_arn"] == USER_ARN
    assert not store.exists(result_key(PREFIX, EXECUTION))  # nothing aggregated yet
    for symbol in SYMBOLS:  # the next run goes on from these
        assert store.exists(symbol_orders_key(PREFIX, EXECUTION, symbol))
        assert store.exists(symbol_detail_key(PREFIX, EXECUTION, symbol))


def test_a_cancelled_run_is_aborted_with_what_was_fetched_readable(run, store, two_symbols):
    resumed_manifest(store)
    results = [worker_summary("BTCUSDT", 30), stopped("ETHUSDT", 30, "cancelled")]
    answer = run({"execution": EXECUTION, "symbols": SYMBOLS, "results": results, "execution_arn": RUN_ARN})
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert (manifest["status"], manifest["error"]) == ("ABORTED", "Cancelled")
    assert manifest["result"] == answer
    assert answer["execution_arn"] == USER_ARN  # one execution: the user's ARN, not the run's
    document = store.get_json(result_key(PREFIX, EXECUTION))
    assert len(document["orders"]) == 60
    assert document["execution_arn"] == USER_ARN
    assert answer["summary"]["complete"] is False
    # a cancelled execution may be resumed: its workers' files stay
    assert store.exists(symbol_detail_key(PREFIX, EXECUTION, "ETHUSDT"))


def test_a_cancel_wins_over_a_deadline_and_a_finished_run_is_cleaned_up(run, store, two_symbols):
    resumed_manifest(store)
    results = [stopped("BTCUSDT", 30, "deadline"), stopped("ETHUSDT", 30, "cancelled")]
    run({"execution": EXECUTION, "symbols": SYMBOLS, "results": results})
    assert store.get_json(manifest_key(PREFIX, EXECUTION))["status"] == "ABORTED"


def test_a_finished_resumed_run_sums_the_execution_time_and_closes_its_run(run, store, two_symbols):
    resumed_manifest(store)
    results = [worker_summary(symbol, 30) for symbol in SYMBOLS]
    answer = run({"execution": EXECUTION, "symbols": SYMBOLS, "results": results, "execution_arn": RUN_ARN})
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert manifest["status"] == "SUCCEEDED"
    assert manifest["runs"][-1]["run_arn"] == RUN_ARN
    assert manifest["runs"][-1]["stopped_at"] is not None
    # 60 s of earlier runs plus this run's: it started 20 s before BASE_MS, the fake clock ends 1 s after it
    assert BASE_MS == 1_760_000_000_000  # 2025-10-09T08:53:20Z
    assert answer["aws_total_duration_seconds"] == pytest.approx(60.0 + 21.0)
    assert not store.exists(symbol_orders_key(PREFIX, EXECUTION, "BTCUSDT"))  # cleaned up as always


def test_stop_reason_reads_done_false_items_only():
    assert stop_reason([{"done": True, "reason": "deadline"}, {"error": {"Error": "X"}}, "junk"]) is None
    assert stop_reason([{"done": False, "reason": "stalled"}]) is None  # aggregated as incomplete
    assert stop_reason([{"done": False, "reason": "deadline"}]) == "deadline"
    assert stop_reason([{"done": False, "reason": "deadline"}, {"done": False, "reason": "cancelled"}]) == (
        "cancelled"
    )


def test_close_run_only_takes_an_arn_that_names_the_run():
    manifest = {"execution_arn": "A", "runs": [{"name": "N-r1", "run_arn": "p", "started_at": "x"}]}
    assert close_run(manifest, "arn:x:N-r1:id", "t")["runs"][-1] == {
        "name": "N-r1",
        "run_arn": "arn:x:N-r1:id",
        "started_at": "x",
        "stopped_at": "t",
    }
    assert close_run(manifest, "arn:x:N", "t")["runs"][-1]["run_arn"] == "p"
    assert close_run({"execution_arn": "A"}, "B", "t") == {"execution_arn": "A"}


def test_busy_seconds_without_runs_counts_from_the_start():
    assert busy_seconds({"started_at": "1970-01-01T00:01:00Z"}, 100.0) == 40.0
    assert busy_seconds({}, 100.0) is None
