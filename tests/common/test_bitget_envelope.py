"""Answer interpretation helpers (lambda_functions/common/bitget/envelope.py)."""

from __future__ import annotations

import pytest

from lambda_functions.common.bitget.envelope import (
    data_or_raise,
    message_of,
    parse_ms,
    remaining_quota,
    retry_after_s,
)
from lambda_functions.common.bitget.errors import BitgetAPIError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1702574766114, 1702574766114),
        ("1702571790777", 1702571790777),
        (1.7e12, 1_700_000_000_000),
        (" 5 ", 5),
        ("soon", None),
        (None, None),
        (True, None),
    ],
)
def test_request_time_parsing(value: object, expected: int | None) -> None:
    assert parse_ms(value) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT", "x-mbx-used-remain-limit": "0"}, 1.0),
        ({"x-mbx-used-remain-limit": "0"}, 1.0),
        ({"x-mbx-used-remain-limit": "7"}, None),
        ({"x-mbx-used-remain-limit": "?"}, None),
        ({}, None),
    ],
)
def test_retry_after_hint(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(headers) == expected


def test_message_prefers_msg_and_falls_back_to_message() -> None:
    assert message_of({"msg": "a", "message": "b"}) == "a"
    assert message_of({"message": "b"}) == "b"
    assert message_of(None) == ""


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-mbx-used-remain-limit": "0"}, 0.0),
        ({"x-mbx-used-remain-limit": "19"}, 19.0),
        ({"x-mbx-used-remain-limit": "-1"}, -1.0),
        ({"x-mbx-used-remain-limit": "n/a"}, None),
        ({}, None),
    ],
)
def test_remaining_quota_header(headers: dict[str, str], expected: float | None) -> None:
    assert remaining_quota(headers) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"code":"00000","msg":"success","requestTime":1702574766114,"data":null}',
        b'{"code":"00000","message":"success","requestTime":"1702571790777","data":null}',
        b'{"code":"00000","msg":"success","data":null}',
    ],
)
def test_success_envelope_forms_give_their_data(body: bytes) -> None:
    assert data_or_raise("/p", 200, {}, body, str) is None


def test_an_error_envelope_with_message_instead_of_msg() -> None:
    body = b'{"code":"40020","message":"Parameter orderId error","data":null}'
    with pytest.raises(BitgetAPIError) as caught:
        data_or_raise("/p", 400, {}, body, str)
    assert (caught.value.code, caught.value.message, caught.value.request_time_ms) == (
        "40020",
        "Parameter orderId error",
        None,
    )
