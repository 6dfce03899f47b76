"""The coordinator's typed entry points and answers: what `start`/`resume` return in-process is what the Lambda
adapter writes and what the AWS orchestrator reads back, refusals included (answers.py)."""

from __future__ import annotations

import json

import pytest

from lambda_functions.coordinator.answers import (
    AccountRefused,
    Conflict,
    InvalidRequest,
    NotFound,
    Refusal,
    ResumedExecution,
    StartedExecution,
    StartFailed,
    lambda_response,
    refusal_response,
    resumed_from_response,
    started_from_response,
)
from lambda_functions.coordinator.events import StartRequest
from tests.coordinator.test_coordinator import END, START, RecordingSfn, coordinator, store

__all__ = ["store"]  # the fixture, shared with test_coordinator.py


def test_start_in_process_answers_what_the_lambda_adapter_writes(store) -> None:
    # GIVEN one request, asked in-process (embedded) and through the Lambda's event (AWS)
    request = StartRequest(["btcusdt", "ETHUSDT"], START, END, include_simulation=True)
    sfn = RecordingSfn()
    # WHEN both are started
    started = coordinator(store, sfn).start(request)
    answer = coordinator(store, sfn).handle(request.body())
    # THEN the typed answer is the adapter's 202 body, read back by the AWS side's parser (names aside: each
    # start gets its own)
    assert answer["statusCode"] == 202
    read_back = started_from_response(answer)
    assert read_back == StartedExecution(**vars(started) | {
        "execution_arn": read_back.execution_arn, "execution_name": read_back.execution_name,
    })  # fmt: skip
    assert started.symbols == ["BTCUSDT", "ETHUSDT"] and started.include_simulation is True
    assert [json.loads(call["input"])["symbols"] for call in sfn.calls] == [started.symbols] * 2


def test_a_symbol_lists_answer_has_no_scope_fields_and_an_account_wide_one_has_them() -> None:
    symbols = StartedExecution("arn:x", "n", ["BTCUSDT"], 1, 2)
    account = StartedExecution("arn:x", "n", ["ALL_SPOT", "ALL_FUTURES"], 1, 2, scope="account")
    assert "scope" not in symbols.body() and "sync_note" not in symbols.body()
    assert account.body()["scope"] == "account" and "sync_note" in account.body()
    for started in (symbols, account):
        assert started_from_response(lambda_response(202, started.body())) == started


def test_a_bad_request_is_refused_in_process_with_nothing_started_or_written(store) -> None:
    sfn = RecordingSfn()
    with pytest.raises(InvalidRequest, match="invalid symbol 'BTC-USDT'") as refused:
        coordinator(store, sfn).start(StartRequest(["BTC-USDT"]))
    assert refused.value.status == 400 and sfn.calls == [] and store.list_keys("") == []


@pytest.mark.parametrize(
    "refusal",
    [
        InvalidRequest("'symbols' is empty"),
        AccountRefused(
            "wrong key", status=403, problem="ip_not_allowed", bitget_code="40018", bitget_message="x"
        ),
        NotFound("no execution named x"),
        Conflict("another account", problem="account_mismatch"),
        StartFailed("could not start the state machine: ClientError", execution="n"),
    ],
)
def test_every_refusal_survives_the_lambda_response_as_itself(refusal: Refusal) -> None:
    # WHEN the adapter writes a refusal and the AWS orchestrator reads it back
    with pytest.raises(Refusal) as read_back:
        started_from_response(refusal_response(refusal))
    # THEN it is the same kind, status and body
    assert type(read_back.value) is type(refusal)
    assert (read_back.value.status, read_back.value.body()) == (refusal.status, refusal.body())


def test_an_answer_without_a_body_is_a_refusal_naming_the_status() -> None:
    with pytest.raises(Refusal, match="the coordinator answered None to the resume"):
        resumed_from_response({})


def test_resume_in_process_and_through_the_adapter_agree(store) -> None:
    # GIVEN an execution that was started and has ended
    sfn = RecordingSfn()
    started = coordinator(store, sfn).start(StartRequest(["BTCUSDT"], START, END))
    manifest_key = f"p/{started.execution_name}/manifest.json"
    store.put_json(manifest_key, store.get_json(manifest_key) | {"status": "FAILED"})
    # WHEN it is resumed in-process, then the adapter is asked for a run while that one is going
    resumed = coordinator(store, sfn).resume(started.execution_name, True)
    # THEN the typed answer names the run; the adapter's refusal is the resume's own (no such execution: 404)
    assert resumed == ResumedExecution(started.execution_arn, started.execution_name, resumed.run_arn, 1)
    gone = coordinator(store, sfn).handle({"action": "resume", "execution": "nope", "reopen_failed": True})
    with pytest.raises(NotFound, match="no execution named nope"):
        resumed_from_response(gone)
