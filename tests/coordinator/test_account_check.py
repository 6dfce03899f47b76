"""The account pre-check against the sandbox exchange: one signed request to /api/v2/spot/account/info,
classified into ok (userId) / rejected (401, 400, 403 with Bitget's code) / unverified (transient: not blocking)."""

from __future__ import annotations

import json

import pytest

from lambda_functions.common.bitget import BitgetAPIError, Credentials, RetryPolicy
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.account_check import ACCOUNT_INFO, AccountChecker, classify
from lambda_functions.coordinator.service import Coordinator
from tests.coordinator.test_coordinator import MACHINE, NOW, RecordingSfn

pytestmark = pytest.mark.sandbox

GOOD = Credentials("sandbox-key", "sandbox-secret", "sandbox-pass")
NO_RETRY = RetryPolicy(retries=0)


def account_requests(server) -> int:
    return server.stats()["endpoints"].get(ACCOUNT_INFO, {}).get("requests", 0)


def test_accepted_key_gives_the_account_user_id(sandbox):
    checker = AccountChecker(sandbox.base_url, GOOD)
    result = checker.check()
    assert result.status == "ok"
    assert result.account_id == sandbox.app.account.user_id
    assert result.clock_offset_ms is not None and abs(result.clock_offset_ms) < 1_000


def test_a_success_is_remembered_so_concurrent_starts_make_one_request(sandbox):
    checker = AccountChecker(sandbox.base_url, GOOD)
    results = [checker.check() for _ in range(5)]
    assert {r.account_id for r in results} == {sandbox.app.account.user_id}
    assert account_requests(sandbox) == 1  # Bitget allows this endpoint once per second per account


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("sandbox-key", "sandbox-secret", "wrong-pass"), "40012"),
        (Credentials("sandbox-key", "wrong-secret-value", "sandbox-pass"), "40009"),
        (Credentials("unknown-key", "sandbox-secret", "sandbox-pass"), "40037"),
    ],
)
def test_refused_credentials_are_a_401_naming_bitgets_code_and_no_secret(sandbox, credentials, code):
    result = AccountChecker(sandbox.base_url, credentials, retry=NO_RETRY).check()
    assert (result.status, result.problem, result.http_status, result.code) == (
        "rejected",
        "credentials",
        401,
        code,
    )
    assert f"Bitget code {code}" in result.message
    assert result.error_body()["error"] == f"{result.message} Nothing was started."
    shown = json.dumps(result.as_dict())
    for secret in (credentials.api_secret, credentials.passphrase):
        assert secret not in shown


@pytest.mark.parametrize(
    ("options", "problem", "status", "code", "words"),
    [
        ({"deny": "ip"}, "ip_not_allowed", 403, "40018", "IP address"),
        ({"deny": "permission"}, "permission_missing", 403, "40014", "permission"),
    ],
)
def test_account_level_refusals_name_the_problem(make_sandbox, options, problem, status, code, words):
    server = make_sandbox("demo", seed=3, **options)
    result = AccountChecker(server.base_url, GOOD, retry=NO_RETRY).check()
    assert (result.status, result.problem, result.http_status, result.code) == (
        "rejected",
        problem,
        status,
        code,
    )
    assert words in result.message
    assert result.bitget_message and result.bitget_message in result.message


@pytest.mark.parametrize("offset_ms", [-150_000, 150_000])
def test_a_local_clock_minutes_off_is_not_mistaken_for_bad_credentials(make_sandbox, offset_ms):
    # GIVEN an exchange whose clock is 2.5 minutes from ours (Bitget refuses timestamps 30 s off: 40008)
    server = make_sandbox("demo", seed=3, clock_offset_ms=offset_ms)
    # WHEN the account is checked
    result = AccountChecker(server.base_url, GOOD, retry=NO_RETRY).check()
    # THEN the request was signed with Bitget's clock, and the offset is known to the coordinator
    assert result.status == "ok", result
    assert abs(result.clock_offset_ms - offset_ms) < 1_000


def test_server_errors_leave_the_check_unverified_not_blocking(sandbox):
    sandbox.set_faults(error_5xx=1.0)
    result = AccountChecker(sandbox.base_url, GOOD, retry=NO_RETRY).check()
    assert (result.status, result.rejected, result.http_status) == ("unverified", False, None)


def test_an_unreachable_exchange_leaves_the_check_unverified():
    result = AccountChecker("http://127.0.0.1:9", GOOD, retry=NO_RETRY, timeout_s=1).check()
    assert result.status == "unverified"
    assert "BitgetTransportError" in result.message or "BitgetTimeoutError" in result.message


def test_no_credentials_and_unreadable_credentials_are_rejected(sandbox):
    missing = AccountChecker(sandbox.base_url, lambda: None).check()
    assert (missing.status, missing.problem, missing.http_status) == ("rejected", "credentials_missing", 401)

    def unreadable() -> Credentials:
        raise ValueError("could not read the Bitget secret arn:x (BITGET_SECRET_ARN): AccessDeniedException")

    result = AccountChecker(sandbox.base_url, unreadable).check()
    assert (result.status, result.problem, result.http_status) == ("rejected", "credentials_unavailable", 502)
    assert "AccessDeniedException" in result.message


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        *((str(c), "credentials") for c in range(40001, 40013)),
        ("40036", "credentials"),
        ("40037", "credentials"),
        ("40085", None),  # a unified account's key: the check then asks the v3 settings
        ("40018", "ip_not_allowed"),
        ("40014", "permission_missing"),
        ("40034", None),  # about a parameter, not the account
        ("429", None),
        ("45001", None),
    ],
)
def test_classification_of_bitget_codes(code, problem):
    rejection = classify(BitgetAPIError(code, "text", 400))
    assert (rejection.problem if rejection else None) == problem


# ---- the coordinator with the check -----------------------------------------------------------------------


def coordinator(tmp_path, checker):
    store = LocalResultsStore(tmp_path)
    sfn = RecordingSfn()
    return Coordinator(sfn, store, MACHINE, "p/", clock=lambda: NOW, account_checker=checker), sfn, store


@pytest.mark.parametrize(
    ("options", "status", "problem"),
    [({"deny": "ip"}, 403, "ip_not_allowed")],
)
def test_a_refused_account_starts_nothing_and_writes_nothing(
    make_sandbox, tmp_path, options, status, problem
):
    server = make_sandbox("demo", seed=3, **options)
    handler, sfn, store = coordinator(tmp_path, AccountChecker(server.base_url, GOOD, retry=NO_RETRY))
    answer = handler.handle({"symbols": ["BTCUSDT"]})
    body = json.loads(answer["body"])
    assert (answer["statusCode"], body["problem"]) == (status, problem)
    assert body["bitget_code"] and body["bitget_code"] in body["error"]
    assert sfn.calls == []
    assert store.list_keys("") == []  # no manifest


def test_a_unified_account_is_accepted_with_its_mode_and_uid(make_sandbox):
    server = make_sandbox("demo", seed=3, account_mode="unified")
    result = AccountChecker(server.base_url, GOOD, retry=NO_RETRY).check()
    classic = AccountChecker(make_sandbox("demo", seed=3).base_url, GOOD, retry=NO_RETRY).check()
    assert (result.status, result.account_mode) == ("ok", "unified")
    assert (classic.status, classic.account_mode) == ("ok", "classic")
    assert result.account_id == classic.account_id  # the v3 settings' uid is the v2 userId of the same seed


def test_a_unified_key_with_a_wrong_secret_is_still_a_credentials_problem(make_sandbox):
    # v2 answers 40085 before checking the signature: the v3 settings request names the real problem
    server = make_sandbox("demo", seed=3, account_mode="unified")
    bad = Credentials("sandbox-key", "not-the-secret", "sandbox-pass")
    result = AccountChecker(server.base_url, bad, retry=NO_RETRY).check()
    assert (result.status, result.problem, result.http_status) == ("rejected", "credentials", 401)


def test_wrong_credentials_are_401_and_start_nothing(sandbox, tmp_path):
    bad = Credentials("sandbox-key", "sandbox-secret", "not-the-passphrase")
    handler, sfn, store = coordinator(tmp_path, AccountChecker(sandbox.base_url, bad, retry=NO_RETRY))
    answer = handler.handle({"symbols": ["BTCUSDT"]})
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["bitget_code"] == "40012"
    assert "not-the-passphrase" not in answer["body"]
    assert (sfn.calls, store.list_keys("")) == ([], [])


def test_bad_input_is_refused_before_any_request_to_bitget(sandbox, tmp_path):
    handler, sfn, _ = coordinator(tmp_path, AccountChecker(sandbox.base_url, GOOD))
    assert handler.handle({"symbols": ["BTC-USDT"]})["statusCode"] == 400
    assert sfn.calls == []
    assert sandbox.stats()["requests"] == 0


def test_an_accepted_account_id_goes_into_the_execution_input(sandbox, tmp_path):
    handler, sfn, _ = coordinator(tmp_path, AccountChecker(sandbox.base_url, GOOD))
    body = json.loads(handler.handle({"symbols": ["BTCUSDT"]})["body"])
    state = json.loads(sfn.calls[0]["input"])
    assert state["account_id"] == body["account_id"] == sandbox.app.account.user_id
    assert body["account_check"] == "ok"


def test_an_unverified_check_starts_anyway(sandbox, tmp_path):
    sandbox.set_faults(error_5xx=1.0)
    handler, sfn, _ = coordinator(tmp_path, AccountChecker(sandbox.base_url, GOOD, retry=NO_RETRY))
    answer = handler.handle({"symbols": ["BTCUSDT"]})
    assert answer["statusCode"] == 202
    assert json.loads(answer["body"])["account_check"] == "unverified"
    assert json.loads(sfn.calls[0]["input"])["account_id"] is None
