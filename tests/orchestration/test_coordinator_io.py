"""What both orchestrators hand the coordinator, and the API error each of its refusals becomes."""

from __future__ import annotations

import pytest

from app.orchestration.base import (
    AccountRejectedError,
    ExecutionConflictError,
    ExecutionNotFoundError,
    ExtractionOptions,
    InvalidRequestError,
    OrchestrationError,
)
from app.orchestration.coordinator_io import api_error, resumed_under, start_request
from lambda_functions.common.bitget import Credentials
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.answers import (
    AccountRefused,
    Conflict,
    InvalidRequest,
    NotFound,
    Refusal,
    ResumedExecution,
    StartFailed,
    started_from_response,
)
from lambda_functions.coordinator.service import Coordinator
from tests.coordinator.test_coordinator import END, MACHINE, NOW, START, RecordingSfn


def test_the_request_carries_the_window_always_and_only_the_options_given() -> None:
    options = ExtractionOptions(include_fills=True, since="last_sync", expected_account_id="777")
    body = start_request(None, None, 5, options).body()
    assert body == {
        "symbols": None,
        "start_ms": None,
        "end_ms": 5,
        "include_fills": True,
        "since": "last_sync",
        "expected_account_id": "777",
    }
    assert start_request(["BTCUSDT"], 1, 2, None).body() == {
        "symbols": ["BTCUSDT"],
        "start_ms": 1,
        "end_ms": 2,
    }


@pytest.mark.parametrize(
    ("refusal", "error", "status"),
    [
        (InvalidRequest("bad"), InvalidRequestError, None),
        (NotFound("gone"), ExecutionNotFoundError, None),
        (Conflict("busy", problem="account_mismatch"), ExecutionConflictError, None),
        (StartFailed("could not start the state machine: ClientError"), OrchestrationError, None),
        (Refusal("the coordinator answered 500", status=500), OrchestrationError, None),
        (AccountRefused("wrong key", status=403, problem="ip_not_allowed", bitget_code="40018"), None, 403),
    ],
)
def test_each_refusal_becomes_the_api_error_of_its_status(
    refusal: Refusal, error: type[OrchestrationError] | None, status: int | None
) -> None:
    raised = api_error(refusal)
    assert str(raised) == str(refusal)
    if status is None:
        assert type(raised) is error
        return
    assert isinstance(raised, AccountRejectedError)
    assert (raised.status_code, raised.problem, raised.bitget_code) == (403, "ip_not_allowed", "40018")


def test_a_resume_answers_under_the_users_arn_when_the_manifest_has_none() -> None:
    resumed = ResumedExecution(None, "n", "arn:run", 2)
    assert resumed_under(resumed, "arn:user").execution_arn == "arn:user"
    assert resumed_under(resumed_under(resumed, "arn:first"), "arn:other").execution_arn == "arn:first"


def test_credentials_that_cannot_be_read_are_a_failure_to_start_in_both_modes(tmp_path) -> None:
    # GIVEN a coordinator whose account check cannot read its credentials (a 502 rejection, not Bitget's refusal)
    def unreadable() -> Credentials:
        raise ValueError("secret arn:aws:secretsmanager:...:secret:x is not JSON")

    checker = AccountChecker("http://127.0.0.1:9", unreadable)
    coordinator = Coordinator(
        RecordingSfn(), LocalResultsStore(tmp_path), MACHINE, "p/", clock=lambda: NOW, account_checker=checker
    )
    request = start_request(["BTCUSDT"], START, END, None)
    # WHEN it is asked in-process (embedded) and through its Lambda answer (aws)
    with pytest.raises(Refusal) as in_process:
        coordinator.start(request)
    answer = coordinator.handle(request.body())
    with pytest.raises(Refusal) as read_back:
        started_from_response(answer)
    # THEN both are the same refusal: a failure to start (502, the API's OrchestrationError), naming the problem
    assert type(in_process.value) is type(read_back.value) is StartFailed
    assert answer["statusCode"] == 502
    assert (
        in_process.value.fields["problem"] == read_back.value.fields["problem"] == "credentials_unavailable"
    )
    for refusal in (in_process.value, read_back.value):
        assert type(api_error(refusal)) is OrchestrationError
