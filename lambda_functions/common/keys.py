"""Where things live in the results store, derived from the execution name alone.

Every component (worker, aggregator, coordinator, API) computes keys here, so the layout is in one place:

    {prefix}{execution}/manifest.json          status of the execution (written at start, success, failure)
    {prefix}{execution}/symbols/{SYMBOL}.json  one worker's orders for one symbol, newest first
    {prefix}{execution}/symbols/{SYMBOL}.detail.json   that worker's per-stream detail
    {prefix}{execution}/result.json            the consolidated document the aggregator writes
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
