"""Where things live in the results store, derived from the execution name alone.

Every component (worker, aggregator, coordinator, API) computes keys here, so the layout is in one place:

    {prefix}{execution}/manifest.json          status of the execution (written at start, success, failure)
    {prefix}{execution}/symbols/{SYMBOL}.json  one worker's orders for one symbol, newest first
    {prefix}{execution}/symbols/{SYMBOL}.detail.json   that worker's per-stream detail
    {prefix}{execution}/result.json            the consolidated document the aggregator writes
    {prefix}{execution}/checkpoints/{SYMBOL}.json      one worker's progress (cursors, segments, done or not)
    {prefix}{execution}/segments/{SYMBOL}/{n}.ndjson   rows a worker has made durable, sorted newest first
    {prefix}{execution}/cancel.json            present: the execution was asked to stop (POST .../cancel)
"""

from __future__ import annotations


def execution_prefix(prefix: str, execution: str) -> str:
    return f"{prefix}{execution}/"


def manifest_key(prefix: str, execution: str) -> str:
    return f"{execution_prefix(prefix, execution)}manifest.json"


def symbol_orders_key(prefix: str, execution: str, symbol: str) -> str:
    return f"{execution_prefix(prefix, execution)}symbols/{symbol}.json"


def symbol_detail_key(prefix: str, execution: str, symbol: str) -> str:
    return f"{execution_prefix(prefix, execution)}symbols/{symbol}.detail.json"


def result_key(prefix: str, execution: str) -> str:
    return f"{execution_prefix(prefix, execution)}result.json"


def checkpoint_key(prefix: str, execution: str, symbol: str) -> str:
    return f"{execution_prefix(prefix, execution)}checkpoints/{symbol}.json"


def segment_key(prefix: str, execution: str, symbol: str, number: int) -> str:
    return f"{execution_prefix(prefix, execution)}segments/{symbol}/{number:06d}.ndjson"


def run_claim_key(prefix: str, execution: str, run: int) -> str:
    """Created once, exclusively, by the resume that starts run `run`: two resumes never start the same run."""
    return f"{execution_prefix(prefix, execution)}runs/{run:04d}.json"


def cancel_key(prefix: str, execution: str) -> str:
    return f"{execution_prefix(prefix, execution)}cancel.json"
