"""The coordinator's work, with its clients handed in: validate, check the account, name, write the started
manifest, start.

The same object serves the Lambda (boto3 Step Functions client) and the embedded mode (the in-process runner):
both expose `start_execution(stateMachineArn=, name=, input=)`. Its entry points are typed: `start(StartRequest)
-> StartedExecution` and `resume(name, reopen_failed) -> ResumedExecution`, raising a `Refusal` when nothing
was started (answers.py); `handle(event)` is the Lambda's adapter over them (answers as Lambda responses).

State machine input (docs/CONTRACTS.md): `execution`, `symbols`, `start_ms`, `end_ms` (the window after
clamping), `include_plan_orders` and `include_simulation` (the request's value, else the service default: always
a boolean, since the Map's ItemSelector copies them to every worker), `rate_share` (the fraction of the
account's rate limits one worker may use when workers cannot share a limiter: 1 / the number of workers that
run at once), `account_id` (Bitget's userId from the account check; null when it was not checked),
`deadline_ms` (when the workers must have stopped, deadline.py; null without a time limit), `resume` (false;
true in a run of the resume action that re-opens failed shards, resume.py), `include_fills` (the request's
value, else on for the whole account and off for a symbol list) and `account_mode` (classic or unified, from the
account check; null when it was not checked: each worker then probes it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.common import sync_state
from lambda_functions.common.account_mode import UNIFIED
from lambda_functions.common.account_scope import ACCOUNT_UNITS, AccountScope
from lambda_functions.common.keys import manifest_key
from lambda_functions.common.logs import log_context
from lambda_functions.common.manifest import new_manifest
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.utc import iso_ms
from lambda_functions.coordinator import resume as resume_action
from lambda_functions.coordinator.account_check import AccountCheck, AccountChecker
from lambda_functions.coordinator.answers import (
    STARTED,
    Conflict,
    InvalidRequest,
    Refusal,
    ResumedExecution,
    StartedExecution,
    StartFailed,
    lambda_response,
    refusal_from,
    refusal_response,
)
from lambda_functions.coordinator.deadline import DEFAULT_AGGREGATE_RESERVE_S, deadline_ms
from lambda_functions.coordinator.events import StartRequest, parse_event
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


def rate_share(symbols: int, map_max_concurrency: int) -> float:
    """The share of each rate limit one worker may use: 1 / the number of workers that run at once."""
    return 1.0 / max(1, min(symbols, map_max_concurrency))


def unit_rate_share(mode: str | None) -> float:
    """An account unit's share: classic units page disjoint endpoint paths, so each may use the account's whole
    limit on its own; a unified account's two units share the v3 paths."""
    return 0.5 if mode == UNIFIED else 1.0


@dataclass(frozen=True)
class OptionDefaults:
    """The service defaults of the per-request options (INCLUDE_PLAN_ORDERS, INCLUDE_SIMULATION)."""

    include_plan_orders: bool = True
    include_simulation: bool = False


@dataclass(frozen=True)
class Plan:
    """One accepted request, ready to start: the request, its effective options, the account check, the Map's
    items (the symbols, or the account units) and an account-wide request's scope."""

    request: ExtractionRequest
    include_plan_orders: bool
    include_simulation: bool
    rate_share: float
    account: AccountCheck | None
    include_fills: bool = False
    items: list[str] = field(default_factory=list)
    scope: AccountScope | None = None
    sync_note: str | None = None

    @property
    def account_id(self) -> str | None:
        return self.account.account_id if self.account is not None else None

    @property
    def account_mode(self) -> str | None:
        return self.account.account_mode if self.account is not None else None

    def state_input(self, name: str, deadline: int | None) -> dict[str, Any]:
        return {
            "execution": name,
            "symbols": self.items,
            "scope": self.scope.to_json() if self.scope is not None else None,
            "start_ms": self.request.start_ms,
            "end_ms": self.request.end_ms,
            "include_plan_orders": self.include_plan_orders,
            "include_simulation": self.include_simulation,
            "rate_share": self.rate_share,
            "account_id": self.account_id,
            "deadline_ms": deadline,
            "resume": False,
            "include_fills": self.include_fills,
            "account_mode": self.account_mode,
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
            "include_fills": self.include_fills,
            "account_id": self.account_id,
            "account_mode": self.account_mode,
            "account_check": self.account.status if self.account is not None else "off",
            **self.scope_echo(),
        }

    def scope_echo(self) -> dict[str, Any]:
        """An account-wide request's extra fields (answer and manifest); none for a symbol list."""
        if self.scope is None:
            return {}
        return {
            "scope": "account",
            "since": "last_sync" if self.scope.since_last_sync else None,
            "stream_starts": self.scope.stream_starts,
            "spot_plan_symbols": list(self.scope.spot_plan_symbols),
            "sync_note": self.sync_note,
        }


def _rejected(exc: RequestError) -> InvalidRequest:
    log.info("rejected request", extra={"reason": str(exc)})
    return InvalidRequest(str(exc))


def _account_mismatch(expected: Any, account: AccountCheck | None) -> str | None:
    """Why a request naming its account (`expected_account_id`, POST /accounts/{id}/sync) must not start."""
    if expected is None:
        return None
    actual = account.account_id if account is not None else None
    if actual is None:
        return f"cannot confirm that the configured Bitget key belongs to account {expected}: the account check did not run"
    if str(expected) != actual:
        return f"the configured Bitget key belongs to account {actual}, not {expected}"
    return None


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
        """The Lambda adapter: event in, Lambda response out (answers.py): 202 started; 400 bad request;
        401/403/400 the account check failed; 409 the key's account is not the one named; 502 Step Functions
        refused (or the credentials could not be read). `{"action": "resume", ...}` (a direct invoke only) is
        the resume action (resume.py)."""
        try:
            if resume_action.is_resume_event(event):
                name, reopen_failed = resume_action.parse_event(event)
                return lambda_response(STARTED, self.resume(name, reopen_failed).body())
            try:
                request = parse_event(event)
            except RequestError as exc:
                raise _rejected(exc) from exc
            return lambda_response(STARTED, self.start(request).body())
        except Refusal as refusal:
            return refusal_response(refusal)

    def resume(self, name: str, reopen_failed: bool) -> ResumedExecution:
        """One more run of execution `name` (resume.py); a Refusal when none was started."""
        return resume_action.resume(self, name, reopen_failed)

    def start(self, asked: StartRequest) -> StartedExecution:
        """Validate, check the account, name, write the started manifest, start the state machine; a Refusal
        (answers.py) when nothing was started."""
        now = self.clock()
        try:
            request = self._parse(asked, now, offset_ms=0)  # nothing leaves the process for a bad request
            account = self._check_account()
            if account is not None and account.rejected:
                # The Lambda's answer read back (answers.refusal_from): one rule for both modes of what counts
                # as the account's refusal (400/401/403) and what as a failure to start (502).
                raise refusal_from(
                    account.http_status or 401, account.error_body(), "Bitget refused the account"
                )
            offset = account.clock_offset_ms if account is not None else None
            if request.account_wide and self.account_checker is not None:
                offset = (
                    self.account_checker.fresh_clock_offset_ms()
                )  # a sync's window must end at Bitget's now
            if offset:
                request = self._parse(asked, now, offset_ms=offset)  # "now" is Bitget's
        except RequestError as exc:
            raise _rejected(exc) from exc
        mismatch = _account_mismatch(asked.expected_account_id, account)
        if mismatch is not None:
            raise Conflict(mismatch, problem="account_mismatch")
        try:
            plan = self._plan(request, account)
        except RequestError as exc:
            raise InvalidRequest(str(exc)) from exc
        name = execution_name(request, now)
        try:
            with log_context(execution=name, account=plan.account_id):
                arn = self._start_run(plan, name, now)
        except Exception as exc:  # boto3 / runner failure: the manifest already says FAILED
            message = f"could not start the state machine: {type(exc).__name__}"
            raise StartFailed(message, execution=name) from exc
        return StartedExecution(arn, name, plan.items, request.start_ms, request.end_ms, **plan.echo())

    def _parse(self, asked: StartRequest, now: dt.datetime, offset_ms: int) -> ExtractionRequest:
        now_ms = int(now.timestamp() * 1000) + offset_ms
        return parse_request(asked, now_ms, self.max_symbols, self.window_days)

    def _check_account(self) -> AccountCheck | None:
        if self.account_checker is None:
            return None
        account = self.account_checker.check()
        if account.status == "unverified":
            log.warning("account not verified, starting anyway", extra={"reason": account.message})
        return account

    def _plan(self, request: ExtractionRequest, account: AccountCheck | None) -> Plan:
        plans, simulation, fills = (
            request.include_plan_orders,
            request.include_simulation,
            request.include_fills,
        )
        plan = Plan(
            request,
            include_plan_orders=self.defaults.include_plan_orders if plans is None else plans,
            include_simulation=self.defaults.include_simulation if simulation is None else simulation,
            rate_share=rate_share(len(request.symbols), self.map_max_concurrency),
            account=account,
            items=list(request.symbols),
            include_fills=request.account_wide if fills is None else fills,
        )
        if not request.account_wide:
            return plan
        scope, note = self._account_scope(request, plan.account_id)
        return dataclasses.replace(
            plan,
            items=list(ACCOUNT_UNITS),
            rate_share=unit_rate_share(plan.account_mode),
            scope=scope,
            sync_note=note,
        )

    def _account_scope(
        self, request: ExtractionRequest, account_id: str | None
    ) -> tuple[AccountScope, str | None]:
        """The scope of an account-wide request: where each stream starts (a sync) and the spot plan candidates
        known so far (the request's, and every symbol earlier syncs saw)."""
        state = sync_state.read(self.store, self.results_prefix, account_id) if account_id else None
        known = list((state or {}).get("spot_symbols") or [])
        candidates = tuple(dict.fromkeys(request.spot_plan_symbols + known))
        if not request.since_last_sync:
            return AccountScope(spot_plan_symbols=candidates), None
        if account_id is None:
            raise RequestError(
                "'since': 'last_sync' needs the account's identity, and the account check did not give it "
                "(ACCOUNT_CHECK off or Bitget unreachable): run a full extraction, or turn the check on"
            )
        if state is None:
            note = f"no complete sync of account {account_id} is recorded: this one reads the whole window"
            return AccountScope(spot_plan_symbols=candidates, since_last_sync=True), note
        starts = sync_state.stream_starts(state, request.end_ms)
        starts = {key: max(start, request.start_ms) for key, start in starts.items()}
        lookups = sync_state.lookups(state, starts)
        return AccountScope(starts, candidates, since_last_sync=True, lookups=lookups), None

    def _start_run(self, plan: Plan, name: str, now: dt.datetime) -> str:
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
            log.exception("start_execution failed")
            cause = f"start_execution failed: {type(exc).__name__}"
            self.store.put_json(
                key,
                manifest
                | {
                    "status": "FAILED",
                    "stopped_at": iso_ms(self.clock()),
                    "error": "StartFailed",
                    "cause": cause,
                },
            )
            raise
        arn = str(started["executionArn"])
        self._record_arn(key, arn)
        log.info("execution started", extra={"symbols": len(plan.items), "execution_arn": arn})
        return arn

    def started_manifest(self, plan: Plan, name: str, now: dt.datetime) -> dict[str, Any]:
        echo = plan.echo()
        del echo["account_check"]
        base = new_manifest(
            name,
            execution_arn=None,  # an EXPRESS execution's ARN is only known once it has started
            state_machine_arn=self.state_machine_arn,
            symbols=plan.items,
            start_ms=plan.request.start_ms,
            end_ms=plan.request.end_ms,
            started_at=iso_ms(now),
        )
        return base | {
            **echo,
            # What a resume hands the workers again (resume.py), and the aggregator's account and sync state.
            "account_scope": plan.scope.to_json() if plan.scope is not None else None,
            **self.manifest_extra,
        }

    def _record_arn(self, key: str, arn: str) -> None:
        """Add the ARN to the manifest unless the execution already finished (its final manifest wins)."""
        current = self.store.get_json(key)
        if current.get("status") == "RUNNING":
            self.store.put_json(key, current | {"execution_arn": arn})
