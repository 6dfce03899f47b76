"""The coordinator's work, with its clients handed in: validate, check the account, name, write the started
manifest, start.

The same object serves the Lambda (boto3 Step Functions client) and the embedded mode (the in-process runner):
both expose `start_execution(stateMachineArn=, name=, input=)`.

State machine input (docs/CONTRACTS.md): `execution`, `symbols`, `start_ms`, `end_ms` (the window after
clamping), `include_plan_orders` and `include_simulation` (the request's value, else the service default: always
a boolean, since the Map's ItemSelector copies them to every worker), `rate_share` (the fraction of the
account's rate limits one worker may use when workers cannot share a limiter: 1 / the number of workers that
run at once), `account_id` (Bitget's userId from the account check; null when it was not checked),
`deadline_ms` (when the workers must have stopped, deadline.py; null without a time limit) and `resume` (false;
true in a run of the resume action that re-opens failed shards, resume.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator import resume as resume_action
from lambda_functions.coordinator.account_check import AccountCheck, AccountChecker
from lambda_functions.coordinator.deadline import DEFAULT_AGGREGATE_RESERVE_S, deadline_ms
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
DEFAULT_MAP_MAX_CONCURRENCY = 5


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A Lambda / Function URL response."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def rate_share(symbols: int, map_max_concurrency: int) -> float:
    """The share of each rate limit one worker may use: 1 / the number of workers that run at once."""
    return 1.0 / max(1, min(symbols, map_max_concurrency))


@dataclass(frozen=True)
class OptionDefaults:
    """The service defaults of the per-request options (INCLUDE_PLAN_ORDERS, INCLUDE_SIMULATION)."""

    include_plan_orders: bool = True
    include_simulation: bool = False


@dataclass(frozen=True)
class Plan:
    """One accepted request, ready to start: the request, its effective options and the account check."""

    request: ExtractionRequest
    include_plan_orders: bool
    include_simulation: bool
    rate_share: float
    account: AccountCheck | None

    @property
    def account_id(self) -> str | None:
        return self.account.account_id if self.account is not None else None

    def state_input(self, name: str, deadline: int | None) -> dict[str, Any]:
        return {
            "execution": name,
            "symbols": self.request.symbols,
            "start_ms": self.request.start_ms,
            "end_ms": self.request.end_ms,
            "include_plan_orders": self.include_plan_orders,
            "include_simulation": self.include_simulation,
            "rate_share": self.rate_share,
            "account_id": self.account_id,
            "deadline_ms": deadline,
            "resume": False,
        }

    def echo(self) -> dict[str, Any]:
        """What the answer and the manifest say beyond the window: what was asked, the options, the account."""
        window = self.request.window
        return {
            "requested_start_ms": window.requested_start_ms,
            "requested_end_ms": window.requested_end_ms,
            "window_clamped": window.clamped,
            "window_note": window.note,
            "include_plan_orders": self.include_plan_orders,
            "include_simulation": self.include_simulation,
            "account_id": self.account_id,
            "account_check": self.account.status if self.account is not None else "off",
        }


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
        *,
        map_max_concurrency: int = DEFAULT_MAP_MAX_CONCURRENCY,
        defaults: OptionDefaults = OptionDefaults(),
        account_checker: AccountChecker | None = None,
        state_machine_type: str = "STANDARD",
        time_limit_s: float | None = None,
        aggregate_reserve_s: float = DEFAULT_AGGREGATE_RESERVE_S,
    ) -> None:
        self.sfn = sfn
        self.store = store
        self.state_machine_arn = state_machine_arn
        self.results_prefix = results_prefix
        self.max_symbols = max_symbols
        self.window_days = window_days
        self.manifest_extra = manifest_extra or {}
        self.clock = clock
        self.map_max_concurrency = map_max_concurrency
        self.defaults = defaults
        self.account_checker = account_checker
        self.state_machine_type = state_machine_type  # EXPRESS runs cannot be described (resume.py)
        self.time_limit_s = time_limit_s  # the execution's limit (deadline.py); None: no deadline
        self.aggregate_reserve_s = aggregate_reserve_s

    def handle(self, event: Any) -> dict[str, Any]:
        """Event in, Lambda response out: 202 started; 400 bad request; 401/403/400 the account check failed;
        502 Step Functions refused (or the credentials could not be read). `{"action": "resume", ...}` (a
        direct invoke only) is the resume action (resume.py)."""
        if resume_action.is_resume_event(event):
            return response(*resume_action.resume(self, event))
        now = self.clock()
        try:
            body = request_body(event)
            request = self._parse(body, now, offset_ms=0)  # nothing leaves the process for a bad request
            account = self._check_account()
            if account is not None and account.rejected:
                return response(account.http_status or 401, account.error_body())
            if account is not None and account.clock_offset_ms:
                request = self._parse(body, now, offset_ms=account.clock_offset_ms)  # "now" is Bitget's
        except RequestError as exc:
            log.info("rejected request", extra={"reason": str(exc)})
            return response(400, {"error": str(exc)})
        plan = self._plan(request, account)
        name = execution_name(request, now)
        try:
            arn = self.start(plan, name, now)
        except Exception as exc:  # boto3 / runner failure: the manifest already says FAILED
            return response(
                502, {"error": f"could not start the state machine: {type(exc).__name__}", "execution": name}
            )
        body = {"executionArn": arn, "execution": name, "symbols": request.symbols}
        window = {"start_ms": request.start_ms, "end_ms": request.end_ms}
        return response(202, body | window | {"status": "started"} | plan.echo())

    def _parse(self, body: Any, now: dt.datetime, offset_ms: int) -> ExtractionRequest:
        now_ms = int(now.timestamp() * 1000) + offset_ms
        return parse_request(body, now_ms, self.max_symbols, self.window_days)

    def _check_account(self) -> AccountCheck | None:
        if self.account_checker is None:
            return None
        account = self.account_checker.check()
        if account.status == "unverified":
            log.warning("account not verified, starting anyway", extra={"reason": account.message})
        return account

    def _plan(self, request: ExtractionRequest, account: AccountCheck | None) -> Plan:
        plans, simulation = request.include_plan_orders, request.include_simulation
        return Plan(
            request,
            include_plan_orders=self.defaults.include_plan_orders if plans is None else plans,
            include_simulation=self.defaults.include_simulation if simulation is None else simulation,
            rate_share=rate_share(len(request.symbols), self.map_max_concurrency),
            account=account,
        )

    def start(self, plan: Plan, name: str, now: dt.datetime) -> str:
        """Write the RUNNING manifest, then start; a failed start turns the manifest FAILED and re-raises."""
        key = manifest_key(self.results_prefix, name)
        manifest = self.started_manifest(plan, name, now)
        self.store.put_json(key, manifest)  # before starting: the status is readable the moment we answer
        try:
            started = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps(
                    plan.state_input(name, deadline_ms(now, self.time_limit_s, self.aggregate_reserve_s))
                ),
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
            extra={"execution": name, "symbols": len(plan.request.symbols), "execution_arn": arn},
        )
        return arn

    def started_manifest(self, plan: Plan, name: str, now: dt.datetime) -> dict[str, Any]:
        echo = plan.echo()
        del echo["account_check"]
        return {
            "execution": name,
            "execution_arn": None,  # an EXPRESS execution's ARN is only known once it has started
            "state_machine_arn": self.state_machine_arn,
            "status": "RUNNING",
            "symbols": plan.request.symbols,
            "start_ms": plan.request.start_ms,
            "end_ms": plan.request.end_ms,
            "started_at": iso(now),
            "stopped_at": None,
            "result": None,
            "error": None,
            "cause": None,
            **echo,
            **self.manifest_extra,
        }

    def _record_arn(self, key: str, arn: str) -> None:
        """Add the ARN to the manifest unless the execution already finished (its final manifest wins)."""
        current = self.store.get_json(key)
        if current.get("status") == "RUNNING":
            self.store.put_json(key, current | {"execution_arn": arn})
