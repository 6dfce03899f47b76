"""Correlation fields bound once (common/logs.py): nesting, threads, explicit extras and the JSON lines."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from lambda_functions.common.logs import (
    CorrelationFilter,
    bound_fields,
    carry_context,
    configure_json_logging,
    json_handler,
    log_context,
)

log = logging.getLogger("tests.log_context")


@contextmanager
def json_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines the root logger writes inside the block, as configure_json_logging's handler writes them."""
    buffer = io.StringIO()
    handler = json_handler(logging.StreamHandler(buffer))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines())


def test_the_json_line_carries_the_bound_fields():
    # GIVEN an invocation's execution and symbol, and a stream bound inside it
    with (
        json_lines() as lines,
        log_context(execution="e1", symbol="BTCUSDT"),
        log_context(stream="spot_normal"),
    ):
        # WHEN a line is logged with a field of its own
        log.info("page %d", 3, extra={"rows": 100})

    # THEN the JSON object has the bound fields as top-level keys beside its own
    (line,) = lines
    assert line["message"] == "page 3"
    assert (line["execution"], line["symbol"], line["stream"], line["rows"]) == (
        "e1",
        "BTCUSDT",
        "spot_normal",
        100,
    )


def test_nested_bindings_add_and_override_and_are_restored_on_exit():
    with log_context(execution="e1", symbol="BTCUSDT"):
        with log_context(symbol="ETHUSDT", stream="spot_tpsl", account="42"):
            assert bound_fields() == {
                "execution": "e1",
                "symbol": "ETHUSDT",
                "stream": "spot_tpsl",
                "account": "42",
            }
        assert bound_fields() == {"execution": "e1", "symbol": "BTCUSDT"}
    assert bound_fields() == {}


def test_a_binding_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), log_context(execution="e1"):
        raise RuntimeError("boom")
    assert bound_fields() == {}


def test_an_explicit_extra_wins_over_the_bound_field():
    with json_lines() as lines, log_context(execution="e1", symbol="ALL_SPOT"):
        log.info("row skipped", extra={"symbol": "BTCUSDT"})
    assert (lines[0]["execution"], lines[0]["symbol"]) == ("e1", "BTCUSDT")


def test_lines_outside_any_binding_have_no_correlation_fields():
    with json_lines() as lines:
        log.info("idle")
    assert not {"execution", "symbol", "stream", "account"} & set(lines[0])


def test_two_concurrent_invocations_keep_their_own_fields():
    # GIVEN two invocations on two threads, each logging while the other is inside its binding
    both_bound = threading.Barrier(2)

    def market(number: int) -> None:
        log.info("market %d", number)

    def invocation(execution: str, symbol: str) -> None:
        with log_context(execution=execution, symbol=symbol):
            both_bound.wait(timeout=5)
            log.info("worker finished")
            with ThreadPoolExecutor(2) as pool:  # its own threads, as the worker's setup pool
                list(pool.map(carry_context(market), range(4)))
            both_bound.wait(timeout=5)

    with json_lines() as lines:
        threads = [
            threading.Thread(target=invocation, args=("exec-a", "AAAUSDT")),
            threading.Thread(target=invocation, args=("exec-b", "BBBUSDT")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # THEN every line names the symbol of its own execution, and each invocation logged all of its lines
    pairs = [(line["execution"], line["symbol"]) for line in lines]
    assert sorted(set(pairs)) == [("exec-a", "AAAUSDT"), ("exec-b", "BBBUSDT")]
    assert pairs.count(("exec-a", "AAAUSDT")) == pairs.count(("exec-b", "BBBUSDT")) == 5


def test_a_pool_thread_does_not_keep_a_finished_invocations_fields():
    # GIVEN one reused pool thread (as a runner's) that served a bound invocation
    with ThreadPoolExecutor(1) as pool:

        def bound() -> dict[str, str]:
            with log_context(execution="first", symbol="BTCUSDT"):
                return bound_fields()

        # WHEN it serves the next task
        assert pool.submit(bound).result() == {"execution": "first", "symbol": "BTCUSDT"}
        # THEN nothing of the first is left
        assert pool.submit(bound_fields).result() == {}


def test_a_new_thread_starts_without_fields_unless_it_carries_them():
    seen: dict[str, dict[str, str]] = {}

    def note(name: str) -> None:
        seen[name] = bound_fields()

    with log_context(execution="e1"):
        plain = threading.Thread(target=note, args=("plain",))
        carried = threading.Thread(target=carry_context(note), args=("carried",))
        for thread in (plain, carried):
            thread.start()
            thread.join()
    assert seen == {"plain": {}, "carried": {"execution": "e1"}}


def test_on_lambda_the_runtime_handler_writes_the_bound_fields_once_configured(monkeypatch):
    # GIVEN the Lambda runtime's own root handler, configured on every warm invocation
    buffer = io.StringIO()
    runtime_handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [runtime_handler])
    monkeypatch.setattr(root, "level", logging.WARNING)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "bitget-worker")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    configure_json_logging()
    configure_json_logging()

    # WHEN a line is logged inside a binding
    with log_context(execution="e1", symbol="BTCUSDT"):
        log.info("worker finished")

    # THEN it is one JSON line with the fields, stamped by one filter
    assert [type(f) for f in runtime_handler.filters] == [CorrelationFilter]
    (line,) = [json.loads(text) for text in buffer.getvalue().splitlines()]
    assert (line["message"], line["execution"], line["symbol"]) == ("worker finished", "e1", "BTCUSDT")
