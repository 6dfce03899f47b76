"""The coordinator's resume action: one more state-machine run of an existing execution.

Event `{"action": "resume", "execution": NAME, "reopen_failed": bool}` (docs/CONTRACTS.md). The run is named
`NAME-r{n}` and gets the original request from the manifest, a fresh deadline and `resume: reopen_failed`; its
workers go on from their checkpoints (finished symbols answer at once), so nothing written is fetched again.
The execution stays one: its manifest (and so the user's ARN) is the same, back to RUNNING, with the run
appended to `runs`. `reopen_failed` is an explicit resume (the API's POST .../resume): failed shards are tried
again and a cancel request is withdrawn. A continuation (a run that stopped at its deadline) passes false, so
a cancel asked meanwhile still stops the workers.

Returns a ResumedExecution (the Lambda answers 202 `{executionArn, run_arn, execution, status: "resumed", run}`);
refuses (answers.py) 400 a malformed event; 404 no such execution; 409 while a run of it is still going; 502 Step
Functions refused (the manifest is left as it was).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_functions.common.execution_names import MAX_LENGTH, RUN_SUFFIX_ROOM, is_execution_name
from lambda_functions.common.keys import cancel_key, manifest_key, run_claim_key
from lambda_functions.common.logs import log_context
from lambda_functions.common.manifest import latest_run_start, manifest_time, read_manifest, run_entries
from lambda_functions.common.utc import iso_ms
from lambda_functions.coordinator import service  # service dispatches here: a module import, no cycle
from lambda_functions.coordinator.answers import (
    Conflict,
    InvalidRequest,
    NotFound,
    ResumedExecution,
    StartFailed,
)
from lambda_functions.coordinator.deadline import EXPRESS_LIMIT_S, deadline_ms

log = logging.getLogger(__name__)
REQUEST_FIELDS = (
    "symbols",
    "start_ms",
    "end_ms",
    "include_plan_orders",
    "include_simulation",
    "include_fills",
    "account_id",
    "account_mode",
)
# An EXPRESS run cannot be described: younger than its limit plus this, it may still be going.
EXPRESS_GRACE_S = 30.0


def is_resume_event(event: Any) -> bool:
    return isinstance(event, dict) and event.get("action") == "resume" and "requestContext" not in event


def parse_event(event: dict[str, Any]) -> tuple[Any, Any]:
    """The resume event's execution name and `reopen_failed`, as sent (`resume` checks them)."""
    return event.get("execution"), event.get("reopen_failed", False)


def resume(coordinator: service.Coordinator, execution: Any, reopen_failed: Any) -> ResumedExecution:
    """The resume action; its lines carry the execution (common/logs.py)."""
    name, reopen = checked(execution, reopen_failed)
    with log_context(execution=name):
        return _resume(coordinator, name, reopen)


def _resume(coordinator: service.Coordinator, name: str, reopen_failed: bool) -> ResumedExecution:
    manifest = read_manifest(coordinator.store, coordinator.results_prefix, name)
    if manifest is None:
        raise NotFound(f"no execution named {name}")
    _refuse_while_going(coordinator, name, manifest)
    now = coordinator.clock()
    runs = run_entries(manifest)
    number = len(runs) + 1
    run_name = f"{name}-r{number}"
    key = manifest_key(coordinator.results_prefix, name)
    claim = run_claim_key(coordinator.results_prefix, name, number)
    if not coordinator.store.create_json(claim, {"run": run_name, "claimed_at": iso_ms(now)}):
        # another resume (a second API replica's watcher, a double click) got here first
        raise Conflict(f"run {number} of execution {name} was already started by another request")
    updated = _running(coordinator, manifest, runs, run_name, now)
    cancel = cancel_key(coordinator.results_prefix, name)
    withdrawn = reopen_failed and coordinator.store.exists(cancel)
    if withdrawn:
        coordinator.store.delete([cancel])
    coordinator.store.put_json(key, updated)  # before the start: the run's aggregator may finish at once
    try:
        started = coordinator.sfn.start_execution(
            stateMachineArn=coordinator.state_machine_arn,
            name=run_name,
            input=json.dumps(_state_input(coordinator, name, manifest, now, reopen_failed)),
        )
    except Exception as exc:  # boto3 / runner failure: the execution is as it was
        log.exception("resume failed to start", extra={"run": run_name})
        coordinator.store.put_json(key, manifest)
        if withdrawn:
            coordinator.store.put_json(cancel, {"requested_at": iso_ms(now), "restored": True})
        coordinator.store.delete([claim])  # the run never started: the next resume may take its number
        raise StartFailed(f"could not start the state machine: {type(exc).__name__}", execution=name) from exc
    run_arn = str(started["executionArn"])
    _record_run_arn(coordinator, key, run_name, run_arn)
    log.info("execution resumed", extra={"run": number, "reopen_failed": reopen_failed})
    return ResumedExecution(manifest.get("execution_arn"), name, run_arn, number)


def checked(name: Any, reopen_failed: Any) -> tuple[str, bool]:
    """The name of an execution that can take runs (room left for "-r{n}"), and a boolean `reopen_failed`."""
    if not is_execution_name(name) or len(name) > MAX_LENGTH - RUN_SUFFIX_ROOM:
        raise InvalidRequest(f"'execution' must be an execution name, got {name!r}")
    if not isinstance(reopen_failed, bool):
        raise InvalidRequest(f"'reopen_failed' must be true or false, got {reopen_failed!r}")
    return name, reopen_failed


def _refuse_while_going(coordinator: service.Coordinator, name: str, manifest: dict[str, Any]) -> None:
    """409 when the latest run may still be going: a second run would write the same files at once."""
    if manifest.get("status") != "RUNNING" or manifest.get("continuation_needed"):
        return  # finished, or its run ended at the deadline
    runs = run_entries(manifest)
    latest = runs[-1].get("run_arn") if runs else manifest.get("execution_arn")
    if isinstance(latest, str) and latest:
        try:
            live = coordinator.sfn.describe_execution(executionArn=latest)
        except (ClientError, BotoCoreError) as exc:
            live = None  # gone (a restarted process), or EXPRESS (cannot be described: the age decides)
            code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
            if coordinator.state_machine_type != "EXPRESS" and code != "ExecutionDoesNotExist":
                raise StartFailed(  # throttled, denied: whether the run is going is unknown
                    f"could not tell whether execution {name} is running: {code or type(exc).__name__}"
                ) from exc
        if live is not None:
            if live.get("status") == "RUNNING":
                raise Conflict(f"execution {name} is running: cancel it or wait for it to end")
            return
    if coordinator.state_machine_type == "EXPRESS":
        started = latest_run_start(manifest)
        age = (coordinator.clock() - started).total_seconds() if started else None
        if age is not None and age < EXPRESS_LIMIT_S + EXPRESS_GRACE_S:
            raise Conflict(
                f"execution {name} may still be running (an EXPRESS run lasts up to 5 minutes, this one "
                f"started {age:.0f} s ago): try again in {EXPRESS_LIMIT_S + EXPRESS_GRACE_S - age:.0f} s",
            )


def _running(
    coordinator: service.Coordinator,
    manifest: dict[str, Any],
    runs: list[dict[str, Any]],
    run_name: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The manifest of the resumed execution: RUNNING again, the previous run's time added to `busy_s`."""
    previous_start = latest_run_start(manifest)
    # the aggregator records a run's end: `run_stopped_at` (stopped at the deadline) or `stopped_at` (final)
    previous_stop = manifest_time(manifest.get("run_stopped_at") or manifest.get("stopped_at")) or now
    busy_s = float(manifest.get("busy_s") or 0.0)
    if previous_start is not None:  # a run that never recorded its end (a crash) counts until now
        busy_s += max(0.0, (previous_stop - previous_start).total_seconds())
    if runs and not runs[-1].get("stopped_at"):
        runs[-1] = runs[-1] | {"stopped_at": iso_ms(previous_stop)}
    run = {
        "name": run_name,
        "run_arn": predicted_run_arn(coordinator.state_machine_arn, run_name),
        "started_at": iso_ms(now),
        "stopped_at": None,
    }
    return manifest | {
        "status": "RUNNING",
        "continuation_needed": False,
        "stopped_at": None,
        "run_stopped_at": None,
        "result": None,
        "error": None,
        "cause": None,
        "busy_s": round(busy_s, 3),
        "runs": [*runs, run],
        **coordinator.manifest_extra,  # the owner: this process runs it now (embedded)
    }


def _state_input(
    coordinator: service.Coordinator,
    name: str,
    manifest: dict[str, Any],
    now: dt.datetime,
    reopen_failed: bool,
) -> dict[str, Any]:
    request = {field: manifest.get(field) for field in REQUEST_FIELDS}
    for option in ("include_plan_orders", "include_simulation", "include_fills"):
        request[option] = bool(request[option])  # the Map copies them to every worker: always booleans
    symbols = request["symbols"] if isinstance(request["symbols"], list) else []
    scope = manifest.get("account_scope")  # an account-wide execution's scope, as started
    share = (
        service.unit_rate_share(request["account_mode"])
        if scope is not None
        else service.rate_share(len(symbols), coordinator.map_max_concurrency)
    )
    return {
        "execution": name,
        **request,
        "scope": scope,
        "rate_share": share,
        "deadline_ms": deadline_ms(now, coordinator.time_limit_s, coordinator.aggregate_reserve_s),
        "resume": reopen_failed,
    }


def predicted_run_arn(state_machine_arn: str, run_name: str) -> str:
    """The run's ARN as Step Functions forms it for STANDARD machines (and the embedded runner), recorded before
    the start; an EXPRESS ARN also ends in a run id, known only once started."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{run_name}"


def _record_run_arn(coordinator: service.Coordinator, key: str, run_name: str, run_arn: str) -> None:
    """Correct the predicted ARN when it differs (EXPRESS). When the run already finished, its aggregator has
    recorded the ARN ($$.Execution.Id) itself and the manifest is left alone."""
    if run_arn == predicted_run_arn(coordinator.state_machine_arn, run_name):
        return
    current = coordinator.store.get_json(key)
    if current.get("status") != "RUNNING":
        return
    runs = current.get("runs") or []
    for index, run in enumerate(runs):
        if isinstance(run, dict) and run.get("name") == run_name and run.get("run_arn") != run_arn:
            runs[index] = run | {"run_arn": run_arn}
            coordinator.store.put_json(key, current | {"runs": runs})
            return
