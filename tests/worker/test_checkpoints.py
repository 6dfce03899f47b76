"""Checkpoints: a worker stopped anywhere (time budget, deadline, cancel, crash) goes on to the exact truth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.common import keys
from lambda_functions.common.bitget import BitgetAPIError
from lambda_functions.worker import segments
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from tests.worker.conftest import PREFIX, make_run
from tests.worker.fakes import FakeClient, FakeClock, make_orders

NOW = FakeClock().wall_ms()
SPOT_ONLY = {"spot": {"BTCUSDT"}, "USDT-FUTURES": set(), "USDC-FUTURES": set(), "COIN-FUTURES": set()}
ORDERS = 5_000


def truth_client(**kwargs: Any) -> FakeClient:
    return FakeClient(
        {
            "spot_normal": make_orders(ORDERS, newest_ms=NOW - 1, step_ms=7),
            "spot_tpsl": make_orders(300, newest_ms=NOW - 5, step_ms=3_000, first_id=900_000),
        },
        listed=SPOT_ONLY,
        **kwargs,
    )


def order_ids(store, summary) -> list[tuple[str, str]]:
    with store.reader(summary["orders_key"]) as fh:
        return [(o["stream"], o["orderId"]) for o in json.load(fh)["orders"]]


def expected_ids(client: FakeClient) -> list[tuple[str, str]]:
    rows = [(int(r["cTime"]), int(r["orderId"]), s) for s, rs in client.orders.items() for r in rs]
    return [(s, str(i)) for _, i, s in sorted(rows, reverse=True)]


def run_to_the_end(client, store, *, budget_s: float, tick: float, request=None, **settings):
    """Invoke the worker as the state machine's loop does until it is done; returns (results, final)."""
    request = request or WorkerRequest("BTCUSDT", "exec")
    results = []
    for _ in range(500):
        run = make_run(
            client,
            store,
            FakeClock(tick=tick),
            max_execution_time=budget_s,
            budget_safety_margin_s=0,
            checkpoint_interval_s=0.01,
            **settings,
        )
        result = extract_symbol(request, run)
        results.append(result)
        if not result.get("continue"):
            return results, result
    raise AssertionError("the worker never finished")


def test_a_spent_budget_returns_a_small_continuation_and_the_continuations_reach_the_exact_truth(store):
    # GIVEN a symbol of 5,300 orders and a budget of about 12 pages per invocation
    client = truth_client()
    results, final = run_to_the_end(client, store, budget_s=12, tick=1.0)
    # THEN it took many invocations, each continuation small and naming its checkpoint
    continuations = results[:-1]
    assert len(continuations) >= 5
    for result in continuations:
        assert (result["done"], result["continue"], result["reason"]) == (False, True, "time_budget")
        assert result["checkpoint"] == keys.checkpoint_key(PREFIX, "exec", "BTCUSDT")
        assert len(json.dumps(result)) < 300
    assert [r["orders_so_far"] for r in continuations] == sorted(r["orders_so_far"] for r in continuations)
    # AND the final result is the whole truth, each order once, complete
    assert final["done"] is True and final["complete"] is True
    assert order_ids(store, final) == expected_ids(client)
    # AND no page was fetched twice: every request carried a new cursor (or opened a shard)
    cursors = [
        (stream, call["idLessThan"], call["start"]) for stream, call in client.calls if "spot" in stream
    ]
    assert len(cursors) == len(set(cursors))


def test_every_checkpoint_written_along_the_way_resumes_to_the_exact_truth(store, monkeypatch):
    # GIVEN a run whose checkpoints are kept as they were written, with the segments each names (as if the
    # process had died right after writing it)
    client = truth_client()
    key = keys.checkpoint_key(PREFIX, "exec", "BTCUSDT")
    written: list[tuple[bytes, dict[str, bytes]]] = []
    original_put = store.put_json

    def recording_put(k, obj):
        original_put(k, obj)
        if k == key and not obj["finished"]:
            named = {}
            for segment in obj["segments"]:
                with store.reader(segment["key"]) as fh:
                    named[segment["key"]] = fh.read()
            written.append((json.dumps(obj).encode(), named))

    monkeypatch.setattr(store, "put_json", recording_put)
    _, final = run_to_the_end(client, store, budget_s=30, tick=1.0)
    truth = expected_ids(client)
    assert order_ids(store, final) == truth
    assert len(written) >= 5
    # WHEN the worker restarts from any one of them THEN the result is the exact truth again, each order once
    monkeypatch.setattr(store, "put_json", original_put)
    for index in sorted({0, 1, len(written) // 3, len(written) // 2, len(written) - 1}):
        document, named = written[index]
        store.delete(store.list_keys(f"{PREFIX}exec/"))
        for segment_key, body in named.items():
            with store.writer(segment_key) as fh:
                fh.write(body)
        with store.writer(key) as fh:
            fh.write(document)
        _, again = run_to_the_end(client, store, budget_s=30, tick=1.0)
        assert order_ids(store, again) == truth, f"resumed from checkpoint #{index}"


def test_segments_are_compacted_and_the_merged_ones_removed(store, monkeypatch):
    # GIVEN a small fan-out, so that a few flushes already compact
    monkeypatch.setattr(segments, "FANOUT", 2)
    client = truth_client()
    _, final = run_to_the_end(client, store, budget_s=8, tick=1.0)
    assert order_ids(store, final) == expected_ids(client)
    doc = store.get_json(keys.checkpoint_key(PREFIX, "exec", "BTCUSDT"))
    levels = [segment["level"] for segment in doc["segments"]]
    assert max(levels) >= 2  # compacted more than once
    # every level holds fewer than FANOUT segments, and only the named segments exist
    assert all(levels.count(level) < 2 for level in set(levels))
    on_disk = store.list_keys(f"{PREFIX}exec/segments/")
    assert on_disk == sorted(segment["key"] for segment in doc["segments"])


def test_a_cancel_request_stops_at_a_page_boundary_and_a_resume_finishes(store, monkeypatch):
    client = truth_client()
    cancel = keys.cancel_key(PREFIX, "exec")
    # GIVEN the execution is cancelled after the 20th history request
    fetch = client._page

    def page(stream, *args):
        if len(client.calls) == 20:
            store.put_json(cancel, {"requested_at": "now"})
        return fetch(stream, *args)

    monkeypatch.setattr(client, "_page", page)
    run = make_run(client, store, FakeClock(), checkpoint_interval_s=0.01)
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec"), run)
    # THEN it stopped with what it had, marked incomplete as cancelled
    assert (summary["done"], summary["continue"], summary["reason"]) == (False, False, "cancelled")
    assert (
        summary["errors"] == {"cancelled": len(summary["incomplete_streams"])}
        and summary["incomplete_streams"]
    )
    fetched = order_ids(store, summary)
    truth = expected_ids(client)
    assert 0 < len(fetched) < len(truth) and set(fetched) <= set(truth)
    # AND while the marker stays, another invocation asks Bitget nothing
    calls = len(client.calls)
    again = extract_symbol(WorkerRequest("BTCUSDT", "exec"), make_run(client, store, FakeClock()))
    assert again["reason"] == "cancelled" and len(client.calls) == calls
    # WHEN the execution is resumed (the coordinator removes the marker) THEN it finishes to the exact truth
    store.delete([cancel])
    monkeypatch.setattr(client, "_page", fetch)
    final = extract_symbol(WorkerRequest("BTCUSDT", "exec"), make_run(client, store, FakeClock()))
    assert final["done"] is True and order_ids(store, final) == truth


def test_resume_reopens_a_stream_whose_retries_were_exhausted_from_its_cursor(store):
    # GIVEN a spot history that fails for good after 10 pages (retries exhausted: a 5xx every time)
    outage = {"on": True}

    def failing(call_number: int):
        return (
            BitgetAPIError("50001", "service unavailable", 503) if outage["on"] and call_number > 10 else None
        )

    client = truth_client(fail={"spot_normal": failing})
    first = extract_symbol(WorkerRequest("BTCUSDT", "exec"), make_run(client, store, FakeClock()))
    assert first["done"] is True and first["incomplete_streams"] == ["spot_normal"]
    assert first["errors"] == {"server_error": 1}
    # WHEN a Map retry runs it again: the finished symbol answers from its checkpoint, without a request
    calls = len(client.calls)
    assert extract_symbol(WorkerRequest("BTCUSDT", "exec"), make_run(client, store, FakeClock())) == first
    assert len(client.calls) == calls
    # WHEN Bitget is back and the execution is resumed (resume re-opens failed shards)
    outage["on"] = False
    final = extract_symbol(
        WorkerRequest("BTCUSDT", "exec", resume=True), make_run(client, store, FakeClock())
    )
    # THEN the stream is complete, exactly the truth, and the 10 pages fetched before were not asked again
    assert final["done"] is True and final["complete"] is True and final["errors"] == {}
    assert order_ids(store, final) == expected_ids(client)
    failed_cursor = [c["idLessThan"] for s, c in client.calls[:calls] if s == "spot_normal"][-1]
    resumed = [c for s, c in client.calls[calls:] if s == "spot_normal"]
    assert failed_cursor is not None and resumed[0]["idLessThan"] == failed_cursor  # on from its cursor
    # and the shards it splits into afterwards page only ranges older than what was fetched before
    c_time = {r["orderId"]: int(r["cTime"]) for r in client.orders["spot_normal"]}
    assert all(c["end"] <= c_time[failed_cursor] + 1 for c in resumed if c["idLessThan"] is None)


@pytest.mark.parametrize("field", ["shards", "segments", "window"])
def test_a_damaged_checkpoint_is_a_clear_error_never_a_silent_restart(store, field):
    client = truth_client()
    run_to_the_end(client, store, budget_s=12, tick=1.0)
    key = keys.checkpoint_key(PREFIX, "exec", "BTCUSDT")
    doc = store.get_json(key)
    doc[field] = "garbage"
    store.put_json(key, doc)
    with pytest.raises(ValueError, match=r"checkpoint .* is malformed"):
        extract_symbol(WorkerRequest("BTCUSDT", "exec"), make_run(client, store, FakeClock()))


def test_a_failed_flush_keeps_its_runs_for_the_next_one(store, tmp_path, monkeypatch):
    # GIVEN a shard that sealed 3 rows, then (after a flush the store refused) 2 more, cursor moved on
    from lambda_functions.worker.checkpoint import Checkpoint, ShardState
    from lambda_functions.worker.checkpointing import Checkpointer
    from lambda_functions.worker.parts import PartWriter
    from lambda_functions.worker.window import Window

    doc = Checkpoint("BTCUSDT", "exec", Window(0, 10**13), plan_orders=False, simulation=False)
    journal = Checkpointer(store, PREFIX, doc)
    part = PartWriter(tmp_path / "shard")
    rows = make_orders(5, newest_ms=NOW - 1, step_ms=10)
    for row in rows[:3]:
        part.write(row | {"stream": "spot_normal"})
    journal.record([ShardState(0, "spot_normal", 0, 0, 10**13, cursor=rows[2]["orderId"])], part.seal())
    original_writer = store.writer

    def refusing_writer(key):
        raise OSError("store unavailable")

    monkeypatch.setattr(store, "writer", refusing_writer)
    with pytest.raises(OSError, match="store unavailable"):
        journal.flush()
    monkeypatch.setattr(store, "writer", original_writer)
    for row in rows[3:]:
        part.write(row | {"stream": "spot_normal"})
    journal.record([ShardState(0, "spot_normal", 0, 0, 10**13, cursor=rows[4]["orderId"])], part.seal())
    # WHEN the next flush succeeds THEN the checkpoint's cursor comes with every row fetched before it
    journal.flush()
    saved = store.get_json(keys.checkpoint_key(PREFIX, "exec", "BTCUSDT"))
    assert saved["shards"][0]["cursor"] == rows[4]["orderId"]
    assert [json.loads(line)["orderId"] for _, line in journal.rows()] == [r["orderId"] for r in rows]


def test_an_item_started_at_the_deadline_waits_for_the_next_run_not_stalled(store):
    # GIVEN an invocation that starts when the execution's deadline has (nearly) come: no time to fetch
    client = truth_client()
    request = WorkerRequest("BTCUSDT", "exec", deadline_ms=NOW)
    run = make_run(client, store, FakeClock(tick=1.0), max_execution_time=0.5, budget_safety_margin_s=0)
    result = extract_symbol(request, run)
    # THEN it asks for the next run (deadline), it is not a stream that cannot progress (stalled)
    assert (result["done"], result["continue"], result["reason"]) == (False, False, "deadline")
