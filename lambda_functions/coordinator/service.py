"""The coordinator's work, with its clients handed in: validate, name, write the started manifest, start.

The same object serves the Lambda (boto3 Step Functions client) and the embedded mode (the in-process runner):
both expose `start_execution(stateMachineArn=, name=, input=)`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.events import request_body
from lambda_functions.coordinator.naming import execution_name
from lambda_functions.coordinator.validation import (
    DEFAULT_MAX_SYMBOLS,
    DEFAULT_WINDOW_DAYS,
    ExtractionRequest,
    RequestError,
    parse_request,
)

log = logging.getLogger(__name__)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A Lambda / Function URL response."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


class Coordinator:
    def __init__(
        self,
        sfn: Any,
        store: ResultsStore,
        state_machine_arn: str,
        results_prefix: str,
        max_symbols: int = DEFAULT_MAX_SYMBOLS,
        window_days: int = DEFAULT_WINDOW_DAYS,
        manifest_extra: dict[str, Any] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sfn = sfn
        self.store = store
        self.state_machine_arn = state_machine_arn
        self.results_prefix = results_prefix
        self.max_symbols = max_symbols
        self.window_days = window_days
        self.manifest_extra = manifest_extra or {}
        self.clock = clock

    def handle(self, event: Any) -> dict[str, Any]:
        """Event in, Lambda response out: 202 started, 400 bad request, 502 Step Functions refused."""
        now = self.clock()
        try:
            request = parse_request(
                request_body(event), int(now.timestamp() * 1000), self.max_symbols, self.window_days
            )
        except RequestError as exc:
            log.info("rejected request", extra={"reason": str(exc)})
            return response(400, {"error": str(exc)})
        name = execution_name(request, now)
        try:
            arn = self.start(request, name, now)
        except Exception as exc:  # boto3 / runner failure: the manifest already says FAILED
            return response(
                502, {"error": f"could not start the state machine: {type(exc).__name__}", "execution": name}
            )
        body = {"executionArn": arn, "execution": name, "symbols": request.symbols}
        return response(
            202, body | {"start_ms": request.start_ms, "end_ms": request.end_ms, "status": "started"}
        )

    def start(self, request: ExtractionRequest, name: str, now: dt.datetime) -> str:
        """Write the RUNNING manifest, then start; a failed start turns the manifest FAILED and re-raises."""
        key = manifest_key(self.results_prefix, name)
        manifest = self.started_manifest(request, name, now)
        self.store.put_json(key, manifest)  # before starting: the status is readable the moment we answer
        state_input = {
            "execution": name,
            "symbols": request.symbols,
            "start_ms": request.start_ms,
            "end_ms": request.end_ms,
        }
        try:
            started = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(state_input)
            )
        except Exception as exc:
            log.exception("start_execution failed", extra={"execution": name})
            cause = f"start_execution failed: {type(exc).__name__}"
            self.store.put_json(
                key,
                manifest
                | {
                    "status": "FAILED",
                    "stopped_at": iso(self.clock()),
                    "error": "StartFailed",
                    "cause": cause,
                },
            )
            raise
        arn = str(started["executionArn"])
        self._record_arn(key, arn)
        log.info(
            "execution started",
            extra={"execution": name, "symbols": len(request.symbols), "execution_arn": arn},
        )
        return arn

    def started_manifest(self, request: ExtractionRequest, name: str, now: dt.datetime) -> dict[str, Any]:
        return {
            "execution": name,
            "execution_arn": None,  # an EXPRESS execution's ARN is only known once it has started
            "state_machine_arn": self.state_machine_arn,
            "status": "RUNNING",
            "symbols": request.symbols,
            "start_ms": request.start_ms,
            "end_ms": request.end_ms,
            "started_at": iso(now),
            "stopped_at": None,
            "result": None,
            "error": None,
            "cause": None,
            **self.manifest_extra,
        }

    def _record_arn(self, key: str, arn: str) -> None:
        """Add the ARN to the manifest unless the execution already finished (its final manifest wins)."""
        current = self.store.get_json(key)
        if current.get("status") == "RUNNING":
            self.store.put_json(key, current | {"execution_arn": arn})
