"""Signature and auth errors, exactly as BITGET_API.md §1 and §4."""

from __future__ import annotations

import time

import pytest

from sandbox.auth import Credentials, check_key, check_signature, prehash, sign
from sandbox.errors import ApiError
from tests.sandbox.bitget_http import get

HISTORY = "/api/v2/spot/trade/history-orders"


def test_sign_matches_the_published_worked_vector() -> None:
    message = prehash(
        "1700000000000",
        "get",
        "/api/v2/spot/trade/history-orders",
        "endTime=1700000000000&idLessThan=1115965643967582214&limit=100&startTime=1699000000000"
        "&symbol=BTCUSDT",
        "",
    )
    assert sign("bg_test_secret", message) == "6+w8UAbdMQXTM3Lccrt1/JH1OH0DTEeiVaI2TFeGg54="
    assert (
        sign("bg_test_secret", prehash("1700000000000", "GET", "/api/v2/mix/order/orders-history", "", ""))
        == "SG+ZiZX5eWBferE65vrHNcRXrVwzTNu0UOzuxlyD+jo="
    )


def test_the_checks_accept_a_correct_post_signature() -> None:
    creds = Credentials("bg_test_key", "bg_test_secret", "bg_test_passphrase")
    headers = {
        "ACCESS-KEY": "bg_test_key",
        "ACCESS-PASSPHRASE": "bg_test_passphrase",
        "ACCESS-TIMESTAMP": "1700000000000",
        "ACCESS-SIGN": "qLTDlDtnW4p+/GRV+NaNyTw348FbPCwl7USJjF+9hsU=",
    }
    body = '{"symbol":"BTCUSDT","productType":"USDT-FUTURES","orderId":"1"}'
    check_key(headers, creds)
    check_signature(headers, "POST", "/api/v2/mix/order/cancel-order", "", body, creds, 1_700_000_000_000)
    with pytest.raises(ApiError) as caught:
        check_signature(
            headers, "POST", "/api/v2/mix/order/cancel-order", "", body + " ", creds, 1_700_000_000_000
        )
    assert caught.value.code == "40009"


def test_credentials_repr_hides_secret_and_passphrase() -> None:
    text = repr(Credentials("k", "very-secret", "my-pass"))
    assert "very-secret" not in text
    assert "my-pass" not in text


def test_signed_request_succeeds(sandbox) -> None:
    response = get(sandbox, HISTORY, {"symbol": "BTCUSDT", "limit": 5})
    assert response.status_code == 200
    assert response.json()["code"] == "00000"
    assert len(response.json()["data"]) == 5


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"key": None}, "40006"),
        ({"key": ""}, "40001"),
        ({"key": "someone-else"}, "40037"),
        ({"passphrase": None}, "40011"),
        ({"passphrase": "wrong"}, "40012"),
        ({"timestamp": "not-a-number"}, "40005"),
        ({"timestamp_offset_ms": -31_000}, "40008"),
        ({"timestamp_offset_ms": 31_000}, "40008"),
        ({"sign": None}, "40003"),
        ({"secret": "wrong-secret"}, "40009"),
        ({"sign": "AAAA"}, "40009"),
    ],
)
def test_auth_errors_have_bitget_codes_and_http_400(sandbox, overrides, code) -> None:
    overrides = dict(overrides)
    if (
        "timestamp_offset_ms" in overrides
    ):  # computed now, not at collection time: the suite may run for minutes
        overrides["timestamp"] = str(time.time_ns() // 1_000_000 + overrides.pop("timestamp_offset_ms"))
    response = get(sandbox, HISTORY, {"symbol": "BTCUSDT"}, **overrides)
    assert response.status_code == 400
    assert response.json() == {
        "code": code,
        "msg": response.json()["msg"],
        "data": None,
        "requestTime": response.json()["requestTime"],
    }
    assert response.json()["code"] == code


def test_missing_timestamp_is_40005(sandbox) -> None:
    assert get(sandbox, HISTORY, {}, timestamp="").json()["code"] == "40005"


def test_signature_covers_the_raw_query_string_as_sent(sandbox) -> None:
    """Signing sorted params but sending them in another order fails: the server signs the raw query."""
    import requests

    from tests.sandbox.bitget_http import signed_headers

    headers = signed_headers(sandbox, HISTORY, "limit=2&symbol=BTCUSDT")
    wrong = requests.get(f"{sandbox.base_url}{HISTORY}?symbol=BTCUSDT&limit=2", headers=headers, timeout=5)
    right = requests.get(f"{sandbox.base_url}{HISTORY}?limit=2&symbol=BTCUSDT", headers=headers, timeout=5)
    assert wrong.json()["code"] == "40009"
    assert right.json()["code"] == "00000"


def test_public_endpoints_need_no_auth(sandbox) -> None:
    response = get(sandbox, "/api/v2/public/time", signed=False)
    assert response.status_code == 200
    assert response.json()["code"] == "00000"
