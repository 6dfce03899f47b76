"""Per-symbol, per-stream progress folded from the workers' checkpoints (the checkpoint shape: CONTRACTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.services.execution_progress import read_progress, symbol_progress
from lambda_functions.common.keys import checkpoint_key
from lambda_functions.common.results_store import LocalResultsStore

PREFIX = "bitget-results/"


def shard(stream: str, pages: int, kept: int, end: str | None) -> dict[str, Any]:
    return {"id": 0, "stream": stream, "pages": pages, "kept": kept, "end": end}


RUNNING = {
    "symbol": "BTCUSDT",
    "finished": False,
    "streams": {
        "spot_normal": {"pages": 3},
        "spot_plan": {"pages": 0},
        "COIN-FUTURES": {"pages": 1, "not_applicable": True},
    },
    "shards": [
        shard("spot_normal", 2, 200, "complete"),
        shard("spot_normal", 1, 50, None),  # a split shard still paging
        shard("USDT-FUTURES", 4, 400, "complete"),
        shard("USDT-FUTURES_plan", 1, 0, "cursor_stalled"),
        {"stream": None},  # malformed: ignored
    ],
    "client_stats": {"requests": 9, "retries": 1, "http_429": 2},
}


def test_a_running_checkpoint_folds_its_shards_by_stream() -> None:
    progress = symbol_progress(RUNNING, "fallback")
    assert (progress.symbol, progress.finished, progress.orders) == ("BTCUSDT", False, 650)
    assert (progress.requests, progress.retries, progress.http_429, progress.duration_s) == (9, 1, 2, None)
    streams = {s.stream: (s.pages, s.orders, s.state) for s in progress.streams}
    assert streams == {
        "spot_normal": (3, 250, "open"),
        "USDT-FUTURES": (4, 400, "complete"),
        "USDT-FUTURES_plan": (1, 0, "cursor_stalled"),
        "spot_plan": (0, 0, "open"),  # counted, no shard yet
    }  # COIN-FUTURES does not apply to this symbol: not shown
    assert progress.streams_done == 2


def test_a_finished_checkpoint_answers_its_summary() -> None:
    finished = RUNNING | {
        "finished": True,
        "shards": [shard("spot_normal", 3, 250, "complete")],
        "streams": {"spot_normal": {"pages": 3}},
        "summary": {
            "orders": 251,
            "complete": True,
            "requests": 12,
            "retries": 0,
            "http_429": 0,
            "duration_s": 1.5,
        },
    }
    progress = symbol_progress(finished, "X")
    assert (progress.orders, progress.requests, progress.duration_s, progress.complete) == (
        251,
        12,
        1.5,
        True,
    )


def test_read_progress_lists_every_checkpoint_and_skips_the_unreadable(tmp_path: Path) -> None:
    store = LocalResultsStore(str(tmp_path), "http://127.0.0.1/results")
    assert read_progress(store, PREFIX, "NAME").symbols == []  # nothing written yet
    store.put_json(checkpoint_key(PREFIX, "NAME", "BTCUSDT"), RUNNING)
    store.put_json(checkpoint_key(PREFIX, "NAME", "ETHUSDT"), RUNNING | {"symbol": "ETHUSDT", "shards": []})
    store.put_json(checkpoint_key(PREFIX, "NAME", "XRPUSDT"), ["not", "a", "checkpoint"])
    (tmp_path / checkpoint_key(PREFIX, "NAME", "ADAUSDT")).write_text("{truncated")
    progress = read_progress(store, PREFIX, "NAME")
    assert [s.symbol for s in progress.symbols] == ["BTCUSDT", "ETHUSDT"]
    assert (progress.symbols_total, progress.orders, progress.requests, progress.http_429) == (4, 650, 18, 4)
    assert (progress.streams_done, progress.streams_total) == (2, 4 + 2)
