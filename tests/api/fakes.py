"""Fakes for the route tests: an Orchestrator whose states the test sets, and a symbols client."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.orchestration.base import (
    ExecutionNotFoundError,
    ExecutionState,
    ExtractionOptions,
    InvalidRequestError,
)
from lambda_functions.common import keys
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.answers import ResumedExecution, StartedExecution
from lambda_functions.coordinator.naming import execution_name_from_arn

ARN_PREFIX = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:"
EXPRESS_PREFIX = "arn:aws:states:us-east-2:123456789012:express:bitget-orders:"
UNKNOWN_ARN = ARN_PREFIX + "never-started"
BASE_MS = 1_700_000_000_000
BASE_ID = 1_115_965_643_967_582_214


def order(i: int, symbol: str = "BTCUSDT", stream: str = "spot_normal") -> dict[str, Any]:
    """A Bitget spot order record (CONTRACTS.md: raw fields + stream + symbol), newest for small i."""
    return {
        "symbol": symbol, "orderId": str(BASE_ID + i), "clientOid": f"c-{i}", "price": "50000.00",
        "size": "0.001", "orderType": "limit", "side": "buy" if i % 2 else "sell", "status": "filled",
        "priceAvg": "50000.00", "baseVolume": "0.001", "quoteVolume": "50.00", "orderSource": "normal",
        "cTime": str(BASE_MS - i * 1000), "uTime": str(BASE_MS - i * 1000 + 5), "stream": stream,
    }  # fmt: skip


class FakeOrchestrator:
    """Starts nothing; `succeed`/`fail` move an execution on as the real pipeline would.

    `express = True` makes it answer EXPRESS ARNs (`...:express:<machine>:<name>:<run id>`), as AWS does.
    """

    mode = "fake"

    def __init__(self, store: ResultsStore, prefix: str = "bitget-results/") -> None:
        self.store = store
        self.prefix = prefix
        self.express = False
        self.started: list[StartedExecution] = []
        self.options: list[ExtractionOptions | None] = []  # what each start() was given
        self.states: dict[str, ExecutionState] = {}
        self.describe_error: Exception | None = None  # raised by describe() when set
        self.described: list[str] = []  # every ARN describe() was asked about
        self.resumed: list[tuple[str, bool]] = []  # (arn, reopen_failed) of every resume()
        self.cancelled: list[str] = []
        self.continued: list[str] = []

    def start(
        self,
        symbols: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> StartedExecution:
        self.options.append(options)
        symbols = ["ALL_SPOT", "ALL_FUTURES"] if symbols is None else symbols  # the account units
        if "NOSUCHCOIN" in symbols:
            raise InvalidRequestError("symbols: NOSUCHCOIN is not listed on Bitget")
        name = f"exec-{len(self.started) + 1}"
        arn = f"{EXPRESS_PREFIX}{name}:{uuid.uuid4()}" if self.express else ARN_PREFIX + name
        started = StartedExecution(arn, name, list(symbols), start_ms or 1, end_ms or 2)
        self.started.append(started)
        now = dt.datetime.now(dt.UTC)
        self.states[started.execution_arn] = ExecutionState(
            started.execution_arn, "RUNNING", start_date=now, progress={"symbols_done": 0, "symbols_total": 2}
        )
        # As the coordinator does: the RUNNING manifest is written before the execution starts.
        manifest = {
            "execution": name, "execution_arn": arn, "status": "RUNNING", "symbols": list(symbols),
            "start_ms": started.start_ms, "end_ms": started.end_ms, "started_at": now.isoformat(),
        }  # fmt: skip
        self.store.put_json(keys.manifest_key(self.prefix, name), manifest)
        return started

    def _finish_manifest(self, execution_arn: str, **fields: Any) -> None:
        name = execution_name_from_arn(execution_arn) or ""
        key = keys.manifest_key(self.prefix, name)
        manifest = self.store.get_json(key) if self.store.exists(key) else {"execution": name}
        stopped = dt.datetime.now(dt.UTC).isoformat()
        self.store.put_json(key, manifest | {"stopped_at": stopped} | fields)

    def describe(self, execution_arn: str) -> ExecutionState:
        self.described.append(execution_arn)
        if self.describe_error is not None:
            raise self.describe_error
        if execution_arn not in self.states:
            raise ExecutionNotFoundError(execution_arn)
        return self.states[execution_arn]

    def succeed(self, execution_arn: str, orders: list[dict[str, Any]]) -> str:
        """Write the consolidated document and mark the execution SUCCEEDED; returns its results URL."""
        name = execution_name_from_arn(execution_arn) or ""
        key = keys.result_key(self.prefix, name)
        self.store.put_json(key, {"execution": name, "execution_arn": execution_arn, "orders": orders})
        state = self.states[execution_arn]
        state.status = "SUCCEEDED"
        assert state.start_date is not None, "start() gives every fake execution a start date"
        state.stop_date = state.start_date + dt.timedelta(seconds=75.5)
        state.state_machine_arn = "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders"
        state.output = {
            "success": True,
            "summary": {"total_orders": len(orders), "total_symbols_processed": 2},
            "s3_uri": self.store.uri(key),
            "s3_data_url": self.store.url(key),
        }
        self._finish_manifest(execution_arn, status="SUCCEEDED", result=state.output)
        return self.store.url(key)

    def resume(self, execution_arn: str, reopen_failed: bool) -> ResumedExecution:
        """As the coordinator's resume action: a new run `NAME-r{n}`, the manifest RUNNING again."""
        if execution_arn not in self.states:
            raise ExecutionNotFoundError(execution_arn)
        name = execution_name_from_arn(execution_arn) or ""
        key = keys.manifest_key(self.prefix, name)
        manifest = self.store.get_json(key)
        run = len(manifest.get("runs") or []) + 1
        run_arn = f"{execution_arn}-r{run}"
        now = dt.datetime.now(dt.UTC).isoformat()
        runs = [*(manifest.get("runs") or []), {"run_arn": run_arn, "started_at": now, "stopped_at": None}]
        self.store.put_json(
            key,
            manifest | {"status": "RUNNING", "runs": runs, "continuation_needed": False, "stopped_at": None,
                        "result": None, "error": None, "cause": None},
        )  # fmt: skip
        self.store.delete([keys.cancel_key(self.prefix, name)])
        state = self.states[execution_arn]
        state.status, state.output, state.error, state.cause = "RUNNING", None, None, None
        state.continuation_needed, state.run_arn, state.runs = False, run_arn, run + 1
        self.resumed.append((execution_arn, reopen_failed))
        return ResumedExecution(execution_arn, name, run_arn, run)

    def cancel(self, execution_arn: str) -> None:
        name = execution_name_from_arn(execution_arn) or ""
        self.store.put_json(keys.cancel_key(self.prefix, name), {"requested_at": "now"})
        self.cancelled.append(execution_arn)

    def continue_if_needed(self, execution_arn: str) -> str | None:
        state = self.states[execution_arn]
        if not state.continuation_needed:
            return None
        self.continued.append(execution_arn)
        self.resume(execution_arn, reopen_failed=False)
        return "resumed"

    def need_continuation(self, execution_arn: str) -> None:
        """The run stopped at the execution's deadline: RUNNING, waiting for the service's resume."""
        self.states[execution_arn].continuation_needed = True
        self._finish_manifest(execution_arn, status="RUNNING", continuation_needed=True)

    def abort(self, execution_arn: str, orders: list[dict[str, Any]]) -> None:
        """What the aggregator does once the workers stopped after a cancel: result.json with what exists,
        the manifest ABORTED."""
        self.succeed(execution_arn, orders)
        state = self.states[execution_arn]
        state.status = "ABORTED"
        assert state.output is not None
        state.output["summary"]["complete"] = False
        self._finish_manifest(execution_arn, status="ABORTED", result=state.output)

    def fail(self, execution_arn: str) -> None:
        state = self.states[execution_arn]
        state.status = "FAILED"
        state.stop_date = state.start_date
        state.error, state.cause = "States.TaskFailed", "the aggregator could not write the results"
        self._finish_manifest(execution_arn, status="FAILED", error=state.error, cause=state.cause)


class FakeSymbolsClient:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    def server_time_ms(self) -> int:
        if self.fail:
            from lambda_functions.common.bitget import BitgetTransportError

            raise BitgetTransportError("connection refused")
        return 1_700_000_000_000

    def spot_symbols(self, symbol: str | None = None) -> list[dict]:
        self.calls += 1
        if self.fail:
            from lambda_functions.common.bitget import BitgetTransportError

            raise BitgetTransportError("connection reset")
        return [{"symbol": "BTCUSDT", "status": "online"}, {"symbol": "ETHUSDT", "status": "halt"}]

    def futures_contracts(self, product_type: str, symbol: str | None = None) -> list[dict]:
        if product_type == "USDT-FUTURES":
            return [{"symbol": "BTCUSDT", "symbolStatus": "normal"}, {"symbol": "BTCUSDT_UMCBL"}]
        if product_type == "USDC-FUTURES":
            return [{"symbol": "BTCPERP", "symbolStatus": "normal"}]
        return []
