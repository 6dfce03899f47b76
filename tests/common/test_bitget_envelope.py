"""Answer interpretation helpers (lambda_functions/common/bitget/envelope.py)."""

from __future__ import annotations

import pytest

from lambda_functions.common.bitget.envelope import message_of, parse_ms, retry_after_s


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
