"""Fuzzing the envelope decoding (lambda_functions/common/bitget/envelope.py) and the client's request path.

Contract (docs/client.md "Errors"): one HTTP answer either gives the envelope's `data` or raises a
`BitgetError` subclass — never another exception type. Bodies are random envelopes (msg vs message, data null /
array / object / scalar, requestTime number / string / missing / garbage, random codes), then truncated,
garbled, re-encoded or replaced by junk; statuses and headers are random too. hypothesis is not installed in
the venv, so this is a seeded `random` loop (a failure prints the case's seed and body).
"""

from __future__ import annotations

import contextlib
import json
import random
from decimal import Decimal
from typing import Any

import pytest

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTransportError,
    RetryPolicy,
)
from lambda_functions.common.bitget.envelope import data_or_raise
from tests.common.test_bitget_client import CREDS, FakeSession, Recorder, make_client, quiet_limiter, response

SECRET_IN_TEXT = "s3cr3t-VALUE-8d2a77"  # the test client's secret: must never come back in a message
STATUSES = [
    0,
    100,
    200,
    201,
    204,
    299,
    300,
    302,
    400,
    401,
    403,
    404,
    418,
    429,
    499,
    500,
    502,
    503,
    504,
    599,
    999,
]
CODES: list[Any] = ["00000"] * 6 + [
    "40034",
    "429",
    "40008",
    "43111",
    "00001",
    "0",
    "",
    " 00000",
    0,
    429,
    40034,
    None,
    True,
    ["00000"],
    {"c": 1},
    "成功",
    "00000\n",
]
REQUEST_TIMES: list[Any] = [
    1702574766114,
    "1702571790777",
    " 1702571790777 ",
    "",
    "abc",
    "1.5e12",
    1.5e12,
    -1,
    "-1",
    "0",
    True,
    None,
    [],
    {},
    "9" * 30,
    10**30,
    float("nan"),
    "１２３",
    Decimal("1702574766114.5"),
    "1_000",
    "0x10",
]
DATAS: list[Any] = [
    None,
    [],
    {},
    "success",
    0,
    1.25,
    True,
    [{"orderId": "1", "cTime": "2"}],
    {"entrustedList": None, "endId": None},
    {"entrustedList": [], "endId": ""},
    {"nextFlag": "true", "idLessThan": "", "orderList": None},
    [{"feeDetail": '{"newFees":{"t":-0.0000794}}', "size": "5.5000000000000000"}],
]
MESSAGES: list[Any] = [
    "success",
    "",
    None,
    42,
    {"x": 1},
    "Parameter BTCUSDT does not exist",
    f"bad key {SECRET_IN_TEXT}",
    "ümlaut ✓",
    "\u0000\ud7ff",
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.4:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -7,
                10**25,
                1.5,
                "",
                "x",
                "1702574766114",
                "\u00e9\u4e2d",
                Decimal("0.00000001"),
            ]
        )
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["a", "code", "msg", "data", "orderId", "é"]): random_json(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def random_envelope(rng: random.Random) -> dict[str, Any]:
    envelope: dict[str, Any] = {}
    if rng.random() < 0.93:
        envelope["code"] = rng.choice(CODES)
    text = rng.choice(MESSAGES)
    style = rng.random()
    if style < 0.6:
        envelope["msg"] = text
    elif style < 0.8:
        envelope["message"] = text
    elif style < 0.9:
        envelope["msg"], envelope["message"] = rng.choice(MESSAGES), text
    if rng.random() < 0.85:
        envelope["requestTime"] = rng.choice(REQUEST_TIMES)
    if rng.random() < 0.9:
        envelope["data"] = rng.choice(DATAS) if rng.random() < 0.7 else random_json(rng)
    if rng.random() < 0.1:
        envelope["extra"] = random_json(rng)
    keys = list(envelope)
    rng.shuffle(keys)
    return {k: envelope[k] for k in keys}


def encode(value: Any) -> str:
    """JSON text with Decimals exact (NaN allowed, as any JSON library would write it)."""
    return json.dumps(
        value, default=lambda d: float(d) if d != d.to_integral() else int(d), ensure_ascii=False
    )


def _strict_json(raw: bytes) -> bool:
    try:
        json.loads(raw, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except ValueError:
        return False
    return True


def garble(rng: random.Random, raw: bytes) -> bytes:
    roll = rng.random()
    if roll < 0.3 and raw:
        return raw[: rng.randrange(len(raw))]  # truncated
    if roll < 0.55 and raw:
        data = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if roll < 0.65:
        return raw.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-32", "latin-1"]), "replace")
    if roll < 0.75:
        return b"\xef\xbb\xbf" + raw  # BOM
    if roll < 0.85:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    return rng.choice(
        [
            b"",
            b"null",
            b"[]",
            b"123",
            b'"00000"',
            b"<html><body>502 Bad Gateway</body></html>",
            b'{"msg":"no code"}',
            b'{"code":',
            b"\xff\xfe\x00",
            b"{}" * 3,
            b" \n",
        ]
    )


def random_answer(rng: random.Random) -> tuple[int, dict[str, str], bytes, Any]:
    """(status, headers, body, the JSON value the body was made from or None when garbled)."""
    roll = rng.random()
    status = 200 if roll < 0.4 else rng.choice(STATUSES) if roll < 0.9 else rng.randint(-5, 1200)
    headers: dict[str, str] = {}
    if rng.random() < 0.3:
        headers["Retry-After"] = rng.choice(
            ["1", "0", "2.5", "-3", "abc", "", "Wed, 21 Oct 2015 07:28:00 GMT", "nan", "1e400", "61"]
        )
    if rng.random() < 0.3:
        headers["x-mbx-used-remain-limit"] = rng.choice(["0", "5", "-1", "x", "", "1e9"])
    value: Any = random_envelope(rng) if rng.random() < 0.8 else random_json(rng)
    raw = encode(value).encode()
    if not _strict_json(raw):
        return status, headers, raw, None  # NaN/Infinity are not JSON: as garbled as a truncated body
    if rng.random() < 0.35:
        return status, headers, garble(rng, raw), None
    return status, headers, raw, value


def redact(text: str) -> str:
    return text.replace(SECRET_IN_TEXT, "***")


def expected_outcome(status: int, value: Any) -> str:
    """docs/client.md "Errors", for a body that is valid JSON: the envelope's code decides whatever the
    status; without an envelope the status does."""
    envelope = value if isinstance(value, dict) and "code" in value else None
    code = None if envelope is None else str(envelope["code"])
    if status == 429 or code == "429":
        return "rate_limit"
    if envelope is None:
        return "api" if 400 <= status < 500 else "transport"
    if code != "00000":
        return "api"
    return "transport" if status >= 300 else "data"


def outcome_of(error: BitgetError | None) -> str:
    if error is None:
        return "data"
    if isinstance(error, BitgetRateLimitError):
        return "rate_limit"
    return "api" if isinstance(error, BitgetAPIError) else "transport"


def check_error(error: BitgetError, status: int, where: Any) -> None:
    assert isinstance(error.message, str), where
    assert SECRET_IN_TEXT not in str(error) and SECRET_IN_TEXT not in error.message, where
    if isinstance(error, BitgetAPIError):
        assert isinstance(error.code, str) and error.http_status == status, where
        assert error.request_time_ms is None or isinstance(error.request_time_ms, int), where
    if isinstance(error, BitgetTransportError):
        assert error.http_status == status, where


def test_random_answers_give_data_or_a_bitget_error_and_never_anything_else() -> None:
    rng = random.Random(1337)
    outcomes: dict[str, int] = {}
    for case in range(10000):
        status, headers, raw, value = random_answer(rng)
        try:
            data = data_or_raise("/api/v2/spot/trade/history-orders", status, headers, raw, redact)
            error = None
        except BitgetError as caught:
            data, error = None, caught
        except Exception as exc:  # the contract under test: nothing but a BitgetError may come out
            pytest.fail(f"case {case}: {type(exc).__name__}: {exc} for status {status}, body {raw[:200]!r}")
        kind = outcome_of(error)
        if error is not None:
            check_error(error, status, (case, raw))
        elif value is not None:
            assert encode(data) == encode(value.get("data")), (case, raw)
        if value is not None:  # a body that is valid JSON: the outcome follows the documented table
            assert kind == expected_outcome(status, value), (case, status, raw)
        outcomes[kind] = outcomes.get(kind, 0) + 1
    assert min(outcomes.values()) > 500 and set(outcomes) == {"data", "api", "rate_limit", "transport"}, (
        outcomes
    )


def test_msg_or_message_is_bitgets_text_and_request_time_is_read_as_number_or_string() -> None:
    cases = [
        (
            {"code": "40034", "msg": "Parameter does not exist", "requestTime": 1702574766114},
            "Parameter does not exist",
            1702574766114,
        ),
        (
            {"code": "40034", "message": "doc-style text", "requestTime": "1702571790777"},
            "doc-style text",
            1702571790777,
        ),
        ({"code": "40034", "msg": None, "message": "fallback", "requestTime": " 17 "}, "fallback", 17),
        ({"code": "40034", "data": None}, "", None),
        ({"code": "40034", "msg": "x", "requestTime": "garbage"}, "x", None),
        ({"code": "40034", "msg": "x", "requestTime": True}, "x", None),
    ]
    for envelope, message, request_time in cases:
        with pytest.raises(BitgetAPIError) as caught:
            data_or_raise("/p", 400, {}, json.dumps(envelope).encode(), redact)
        assert (caught.value.code, caught.value.message, caught.value.request_time_ms) == (
            "40034",
            message,
            request_time,
        )


def test_random_answers_through_the_client_give_data_or_a_bitget_error() -> None:
    """The same bodies through BitgetClient.get (retries, clock re-sync on 40008, rate-limit hints) over a
    scripted session: `requests` is never reached and only typed errors come out."""
    rng = random.Random(4242)
    raised = returned = 0
    for case in range(3000):
        script = []
        for _ in range(3):
            status, headers, raw, _value = random_answer(rng)
            script.append(response(status, raw, headers))
        client = make_client(
            FakeSession(*script),
            retries=rng.choice([0, 1, 2]),
            sleep=Recorder(),
            limiter=quiet_limiter(),
            credentials=CREDS,
        )
        try:
            client.get("/api/v2/spot/trade/history-orders", {"symbol": "BTCUSDT"}, signed=rng.random() < 0.5)
        except BitgetError:
            raised += 1
        except Exception as exc:  # the contract under test
            pytest.fail(f"case {case}: {type(exc).__name__}: {exc}")
        else:
            returned += 1
        assert client.stats.snapshot()["requests"] >= 1
    assert raised > 600 and returned > 200, (raised, returned)
    assert RetryPolicy().retries == 6  # the default the docs quote; the loop above used small budgets


# ---- bugs this fuzzing found, fixed since: kept as regression tests ---------------------------------------


@pytest.mark.parametrize("code", ["00000", "40034"])
@pytest.mark.parametrize("token", ["Infinity", "-Infinity"])
def test_infinite_request_time_is_not_an_overflow_error(code: str, token: str) -> None:
    raw = f'{{"code":"{code}","msg":"success","requestTime":{token},"data":[]}}'.encode()
    with contextlib.suppress(BitgetError):
        data_or_raise("/p", 200, {}, raw, redact)


def test_infinite_request_time_through_the_client_is_a_typed_error_or_data() -> None:
    client = make_client(
        FakeSession(response(200, b'{"code":"00000","msg":"success","requestTime":Infinity,"data":[]}'))
    )
    with contextlib.suppress(BitgetError):
        client.get("/api/v2/spot/trade/history-orders", signed=True)


@pytest.mark.parametrize("status", [200, 502])
def test_deeply_nested_body_is_a_transport_error(status: int) -> None:
    with pytest.raises(BitgetTransportError):
        data_or_raise("/p", status, {}, b"[" * 100_000 + b"]" * 100_000, redact)


def test_non_json_constants_are_not_accepted_as_an_envelope() -> None:
    raw = b'{"code":"00000","msg":"success","requestTime":1,"data":[{"orderId":"1","cTime":"2","fee":NaN}]}'
    with pytest.raises(BitgetTransportError):
        data_or_raise("/p", 200, {}, raw, redact)
