"""The handler end to end on a local results store: document, response, manifest, cleanup, failure mode."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lambda_functions.aggregator.events import InvalidEventError
from lambda_functions.common.keys import manifest_key, result_key, symbol_detail_key, symbol_orders_key
from lambda_functions.common.streams import newest_first_key
from tests.aggregator.factory import (
    EXECUTION,
    PREFIX,
    catch_item,
    make_orders,
    worker_summary,
    write_symbol_file,
)

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
DOC_KEY = result_key(PREFIX, EXECUTION)


@pytest.fixture
def three_symbols(store) -> dict[str, list[dict]]:
    files = {s: make_orders(s, 40 * (i + 1), seed=i) for i, s in enumerate(SYMBOLS)}
    for symbol, orders in files.items():
        write_symbol_file(store, symbol, orders)
    return files


def _event(results: list, symbols: list[str] = SYMBOLS) -> dict:
    return {"execution": EXECUTION, "symbols": symbols, "results": results}


def _ok_results(files: dict[str, list[dict]]) -> list[dict]:
    return [worker_summary(s, len(o)) for s, o in files.items()]


def test_document_holds_every_order_newest_first(run, store, three_symbols, running_manifest) -> None:
    response = run(_event(_ok_results(three_symbols)))
    document = store.get_json(DOC_KEY)
    union = sorted((o for v in three_symbols.values() for o in v), key=newest_first_key, reverse=True)
    assert document["orders"] == union
    assert document["execution"] == EXECUTION
    assert document["execution_arn"] == running_manifest["execution_arn"]
    assert document["summary"] == response["summary"]
    assert response["summary"]["total_orders"] == 240
    assert response["summary"]["total_symbols_processed"] == 3
    assert response["summary"]["total_symbols_with_data"] == 3
    assert response["summary"]["complete"] is True
    assert response["summary"]["error_summary"] == {}
    assert response["summary"]["performance_metrics"]["requests"] == 36
    assert response["message"] == "Órdenes procesadas exitosamente"
    assert "orders" not in response
    assert response["s3_uri"] == store.uri(DOC_KEY)
    assert response["s3_data_url"] == f"http://127.0.0.1:8000/results/{DOC_KEY}"
    assert response["aggregator_duration_seconds"] == 0.5  # FakeClock: one step between start and finish
    assert response["aggregator_duration_formatted"] == "0.500s"


def test_manifest_succeeded_keeps_the_start_fields(run, store, three_symbols, running_manifest) -> None:
    response = run(_event(_ok_results(three_symbols)))
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert manifest["status"] == "SUCCEEDED"
    assert manifest["result"] == response
    assert manifest["stopped_at"].endswith("Z")
    for field in ("execution_arn", "state_machine_arn", "symbols", "start_ms", "end_ms", "started_at"):
        assert manifest[field] == running_manifest[field]
    assert manifest["error"] is None
    assert "aws_total_duration_formatted" in response


def test_cleanup_deletes_per_symbol_files_after_writing(run, store, three_symbols) -> None:
    run(_event(_ok_results(three_symbols)))
    assert store.list_keys(f"{PREFIX}{EXECUTION}/symbols/") == []
    assert store.exists(DOC_KEY)
    assert store.exists(manifest_key(PREFIX, EXECUTION))


def test_cleanup_off_keeps_per_symbol_files(run, store, three_symbols) -> None:
    run(_event(_ok_results(three_symbols)), cleanup_per_symbol_files=False)
    for symbol in SYMBOLS:
        assert store.exists(symbol_orders_key(PREFIX, EXECUTION, symbol))
        assert store.exists(symbol_detail_key(PREFIX, EXECUTION, symbol))


def test_rerun_after_success_returns_the_same_response_and_document(run, store, three_symbols) -> None:
    # GIVEN a finished aggregation whose per-symbol files were cleaned up
    first = run(_event(_ok_results(three_symbols)))
    document = store.get_json(DOC_KEY)
    # WHEN Step Functions retries the step
    second = run(_event(_ok_results(three_symbols)))
    # THEN nothing is lost: same response, same document
    assert second == first
    assert store.get_json(DOC_KEY) == document
    assert len(document["orders"]) == 240


def test_rerun_without_cleanup_gives_the_same_orders(run, store, three_symbols) -> None:
    run(_event(_ok_results(three_symbols)), cleanup_per_symbol_files=False)
    first = store.get_json(DOC_KEY)
    store.delete([manifest_key(PREFIX, EXECUTION)])  # as if the first run died before recording success
    run(_event(_ok_results(three_symbols)), cleanup_per_symbol_files=False)
    second = store.get_json(DOC_KEY)
    assert second["orders"] == first["orders"]
    assert second["summary"] == first["summary"]


def test_catch_items_missing_files_and_worker_errors_are_counted(run, store, three_symbols) -> None:
    results = [
        worker_summary("BTCUSDT", 40, errors={"rate_limit": 2, "timeout": 1}),
        worker_summary(
            "ETHUSDT", 80, complete=False, incomplete_streams=["USDT-FUTURES"], errors={"max_pages": 1}
        ),
        catch_item("SOLUSDT"),
        worker_summary("XRPUSDT", 5),  # claims success but its file is missing
    ]
    symbols = [*SYMBOLS, "XRPUSDT", "ADAUSDT"]  # ADAUSDT: no result at all
    response = run(_event(results, symbols))
    summary = response["summary"]
    assert summary["error_summary"] == {
        "rate_limit": {"count": 2},
        "timeout": {"count": 1},
        "max_pages": {"count": 1},
        "worker_error": {"count": 3},
    }
    assert summary["failed_symbols"]["symbols"] == ["ADAUSDT", "SOLUSDT", "XRPUSDT"]
    assert summary["failed_symbols"]["reasons"] == {
        "ADAUSDT": "no worker result",
        "SOLUSDT": "ReadTimeout",
        "XRPUSDT": "orders file missing",
    }
    assert [(e["symbol"], e["stream"], e["reason"]) for e in summary["incomplete_streams"]] == [
        ("ADAUSDT", None, "worker_error"),
        ("ETHUSDT", "USDT-FUTURES", "incomplete"),  # its detail file says nothing about the stream
        ("SOLUSDT", None, "worker_error"),
        ("XRPUSDT", None, "worker_error"),
    ]
    assert summary["incomplete_streams_count"] == 4
    assert summary["incomplete_symbols"]["symbols"] == ["ETHUSDT"]
    assert summary["complete"] is False
    # SOLUSDT's file exists (the Catch came after it was written): its orders still count
    assert summary["total_orders"] == 240
    assert summary["total_symbols_processed"] == 5
    assert summary["total_symbols_with_data"] == 3
    assert response["success"] is False
    assert response["message"].startswith(
        "Extraction incomplete: 1 stream of 1 symbol could not be paged to the end, 3 symbols failed "
        "(ADAUSDT: worker_error (no worker result); ETHUSDT/USDT-FUTURES: incomplete; SOLUSDT: worker_error"
    )
    assert response["message"].endswith("; 1 more)")


def test_count_mismatch_between_summary_and_file_is_flagged(run, three_symbols) -> None:
    results = _ok_results(three_symbols)
    results[0]["orders"] = 41
    summary = run(_event(results))["summary"]
    assert summary["orders_count_mismatch"]["symbols"] == ["BTCUSDT"]
    assert summary["complete"] is False
    assert summary["incomplete_streams"] == [
        {
            "symbol": "BTCUSDT",
            "stream": None,
            "reason": "orders_count_mismatch",
            "error_code": None,
            "error_message": "worker reported 41 records, its file holds 40",
        }
    ]


def test_empty_symbols_produce_an_empty_document(run, store) -> None:
    for symbol in SYMBOLS:
        write_symbol_file(store, symbol, [])
    response = run(_event([worker_summary(s, 0) for s in SYMBOLS]))
    assert store.get_json(DOC_KEY)["orders"] == []
    assert response["summary"]["total_orders"] == 0
    assert response["summary"]["total_symbols_with_data"] == 0
    assert response["summary"]["complete"] is True


def test_response_max_orders_adds_the_newest(run, three_symbols) -> None:
    response = run(_event(_ok_results(three_symbols)), response_max_orders=5)
    union = sorted((o for v in three_symbols.values() for o in v), key=newest_first_key, reverse=True)
    assert response["orders"] == union[:5]
    assert response["orders_in_response"] == 5
    assert response["orders_truncated"] is True


def test_optimisation_counters_come_from_the_worker_detail(run, store, three_symbols) -> None:
    detail = {
        "circuit_breaker": {"skipped_streams": 2},
        "smart_pagination": {"requests_saved_by_name": 3, "unlisted_markets_probed": 1},
        "page_size": {"adjustments": 4},
    }
    store.put_json(symbol_detail_key(PREFIX, EXECUTION, "BTCUSDT"), detail)
    metrics = run(_event(_ok_results(three_symbols)))["summary"]["performance_metrics"]
    assert metrics["circuit_breaker_saves"] == 2
    assert metrics["smart_pagination_stops"] == 3  # probes of unlisted markets cost a request: not a saving
    assert metrics["adaptive_size_adjustments"] == 4
    assert metrics["retries"] == 3
    assert metrics["worker_seconds_max_formatted"] == "1.500s"


def test_failure_mode_writes_the_failed_manifest(run, store, running_manifest) -> None:
    event = {
        "mode": "failure",
        "execution": EXECUTION,
        "error": {"Error": "MemoryError", "Cause": "x" * 10_000},
    }
    returned = run(event)
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert returned == manifest
    assert manifest["status"] == "FAILED"
    assert manifest["error"] == "MemoryError"
    assert len(manifest["cause"]) == 4000
    assert manifest["stopped_at"].endswith("Z")
    assert manifest["started_at"] == running_manifest["started_at"]
    assert manifest["symbols"] == running_manifest["symbols"]


def test_failure_mode_without_a_manifest_creates_one(run, store) -> None:
    run({"mode": "failure", "execution": EXECUTION, "error": {"Error": "States.Timeout"}})
    manifest = store.get_json(manifest_key(PREFIX, EXECUTION))
    assert (manifest["status"], manifest["error"], manifest["cause"]) == ("FAILED", "States.Timeout", "")


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"symbols": ["BTCUSDT"]}, "execution: Field required"),
        ({"execution": "../etc", "symbols": []}, "execution: String should match"),
        ({"execution": EXECUTION, "symbols": ["BTC/USDT"]}, "invalid symbol names"),
        ({"mode": "failure"}, "execution: Field required"),
    ],
)
def test_bad_events_are_rejected_with_the_problem_named(run, store, event, problem) -> None:
    with pytest.raises(InvalidEventError, match=problem):
        run(event)
    assert not store.exists(DOC_KEY)


def test_document_is_valid_json_on_disk(run, store, three_symbols) -> None:
    run(_event(_ok_results(three_symbols)))
    with store.reader(DOC_KEY) as fh:
        raw = fh.read()
    assert json.loads(raw)["summary"]["total_orders"] == 240


def test_fills_go_to_their_own_array_and_counts_and_orders_stay_orders_only(
    run, store, running_manifest
) -> None:
    # GIVEN one symbol's file holding orders and fills of two streams, interleaved newest first
    orders = make_orders("BTCUSDT", 30, seed=4)
    fills = [
        {
            "tradeId": str(90_000 + i),
            "orderId": orders[i]["orderId"],
            "symbol": "BTCUSDT",
            "size": "0.0075",
            "cTime": orders[i]["cTime"],
            "stream": "spot_fills" if i % 2 else "USDT-FUTURES_fills",
        }
        for i in range(12)
    ]
    records = sorted(orders + fills, key=newest_first_key, reverse=True)
    write_symbol_file(store, "BTCUSDT", records)
    # WHEN aggregated (the worker reports its orders and fills apart)
    response = run(_event([worker_summary("BTCUSDT", 30, fills=12)], ["BTCUSDT"]))
    document = store.get_json(DOC_KEY)
    # THEN orders and fills each stand newest first in their own array, counted apart, nothing missing
    assert document["orders"] == [r for r in records if "tradeId" not in r]
    assert document["fills"] == [r for r in records if "tradeId" in r]
    summary = response["summary"]
    assert (summary["total_orders"], summary["total_fills"], summary["complete"]) == (30, 12, True)
    assert summary["fills_by_stream"] == {"USDT-FUTURES_fills": 6, "spot_fills": 6}
    assert "spot_fills" not in summary["orders_by_stream"]
    assert summary["orders_by_symbol"] == {"BTCUSDT": 30}
    assert response["account_mode"] == "classic"


@pytest.fixture
def cold_start() -> Iterator[None]:
    """The Lambda's default aggregator not built yet, and forgotten afterwards."""
    from lambda_functions.aggregator import app

    app.default_function.cache_clear()
    yield
    app.default_function.cache_clear()


def test_the_lambda_handler_builds_its_aggregator_once_from_the_environment(
    monkeypatch, store, three_symbols, running_manifest, cold_start
) -> None:
    # GIVEN the module-level handler the Lambda runtime calls, its store and settings from the environment
    from lambda_functions.aggregator import app

    built: list[object] = []

    def environment_store():
        built.append(store)
        return store

    monkeypatch.setattr(app, "default_results_store", environment_store)
    monkeypatch.setenv("RESULTS_PREFIX", PREFIX)
    monkeypatch.setenv("CLEANUP_PER_SYMBOL_FILES", "false")
    # WHEN it is invoked twice (a cold start, then a warm one)
    for _ in range(2):
        response = app.handler(_event(_ok_results(three_symbols)), None)
    # THEN its dependencies were built once, and they are the environment's
    assert built == [store] and app.default_function().deps.settings.results_prefix == PREFIX
    assert response["summary"]["total_orders"] == 240 and store.exists(DOC_KEY)
