"""Account-level answers: identity (/spot/account/info), unified vs classic mode, refused keys."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from sandbox import SandboxServer
from sandbox.__main__ import parse_args
from sandbox.options import OPTION_KEYS
from tests.sandbox.bitget_http import get

INFO = "/api/v2/spot/account/info"
SETTINGS = "/api/v3/account/settings"
SPOT = "/api/v2/spot/trade/history-orders"
MIX = "/api/v2/mix/order/orders-history"
UNIFIED_MSG = "You are in Unified Account mode, and the Classic Account API is not supported at this time"
PRIVATE_V2 = [
    (SPOT, {"symbol": "BTCUSDT"}),
    ("/api/v2/spot/trade/history-plan-order", {"symbol": "BTCUSDT"}),
    (MIX, {"productType": "USDT-FUTURES"}),
    ("/api/v2/mix/order/orders-plan-history", {"productType": "USDT-FUTURES", "planType": "normal_plan"}),
    (INFO, {}),
]


def test_account_info_is_a_stable_identity_matching_the_orders(make_sandbox) -> None:
    server = make_sandbox("demo", seed=5)
    body = get(server, INFO).json()
    data = body["data"]
    assert (body["code"], type(body["requestTime"])) == ("00000", int)
    assert set(data) == {
        "userId",
        "inviterId",
        "ips",
        "authorities",
        "parentId",
        "traderType",
        "channelCode",
        "channel",
        "regisTime",
    }
    assert data["userId"].isdigit() and data["regisTime"].isdigit() and data["inviterId"].isdigit()
    assert (data["ips"], data["traderType"], data["parentId"]) == ("", "not_trader", int(data["userId"]))
    assert {"stor", "coor"} <= set(data["authorities"])
    spot_order = next(o for o in server.truth("BTCUSDT") if o["stream"] == "spot_normal")
    assert spot_order["userId"] == data["userId"]
    again = make_sandbox("demo", seed=5)
    assert get(again, INFO).json()["data"] == data
    assert get(make_sandbox("demo", seed=6), INFO).json()["data"]["userId"] != data["userId"]


def test_account_info_is_limited_to_one_per_second_per_key(sandbox) -> None:
    first, second = get(sandbox, INFO), get(sandbox, INFO)
    assert (first.status_code, first.headers["x-mbx-used-remain-limit"]) == (200, "0")
    assert (second.status_code, second.json()["code"]) == (429, "429")


def test_classic_account_refuses_the_uta_probe_with_40084(sandbox) -> None:
    response = get(sandbox, SETTINGS)
    assert (response.status_code, response.json()["code"]) == (400, "40084")
    assert get(sandbox, SPOT, {"limit": 1}).json()["code"] == "00000"


@pytest.mark.parametrize(("path", "params"), PRIVATE_V2)
@pytest.mark.parametrize("bad", [{}, {"secret": "wrong"}, {"passphrase": "wrong"}, {"timestamp": "1"}])
def test_unified_account_gets_40085_on_v2_before_the_signature_is_checked(
    unified: SandboxServer, path, params, bad
) -> None:
    response = get(unified, path, params, **bad)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["msg"], body["data"]) == ("40085", UNIFIED_MSG, None)
    assert isinstance(body["requestTime"], str if "/mix/" in path else int)


@pytest.fixture(scope="module")
def unified():
    with SandboxServer("demo", account_mode="unified", enforce_rate_limits=False) as server:
        yield server


def test_unified_account_key_checks_public_endpoints_and_uta_settings(unified, sandbox) -> None:
    assert get(unified, SPOT, {}, key="someone-else").json()["code"] == "40037"  # the key comes first
    assert get(unified, "/api/v2/public/time", signed=False).json()["code"] == "00000"
    assert get(unified, "/api/v2/spot/public/symbols", signed=False).json()["data"]
    settings = get(unified, SETTINGS).json()
    assert settings["code"] == "00000"
    assert settings["data"]["accountMode"] == "unified"
    # The unified account's uid is the userId the classic account of the same seed shows on its orders.
    spot_order = next(o for o in sandbox.truth("BTCUSDT") if o["stream"] == "spot_normal")
    assert settings["data"]["uid"] == spot_order["userId"]
    assert get(unified, SETTINGS, secret="wrong").json()["code"] == "40009"  # v3 checks the signature


@pytest.mark.parametrize(
    ("deny", "code", "msg"), [("permission", "40014", "Incorrect permissions"), ("ip", "40018", "Invalid IP")]
)
def test_a_refused_key_gets_its_code_on_every_signed_endpoint(make_sandbox, deny, code, msg) -> None:
    server = make_sandbox("demo", deny=deny, enforce_rate_limits=False)
    for path, params in [*PRIVATE_V2, (SETTINGS, {})]:
        response = get(server, path, params)
        assert (response.status_code, response.json()["code"], response.json()["msg"]) == (400, code, msg)
    assert get(server, SPOT, {}, secret="wrong").json()["code"] == "40009"  # only an authentic call gets it
    assert get(server, "/api/v2/public/time", signed=False).json()["code"] == "00000"


def test_options_come_from_the_profile_and_arguments_override_them(make_sandbox) -> None:
    profile = {
        "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 1}}],
        "account_mode": "unified",
        "deny": "ip",
        "clock_offset_ms": 5_000,
    }
    server = make_sandbox(profile)
    assert (server.options.account_mode, server.options.deny, server.options.clock_offset_ms) == (
        "unified",
        "ip",
        5_000,
    )
    assert get(server, SPOT, {}, offset_ms=5_000).json()["code"] == "40085"
    classic = make_sandbox(profile, account_mode="classic", clock_offset_ms=0)
    assert get(classic, SPOT, {}).json()["code"] == "40018"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"account_mode": "uta"}, "account_mode"),
        ({"deny": "read"}, "deny"),
        ({"clock_offset_ms": "120000"}, "clock_offset_ms"),
        ({"envelope_message_key": 1}, "envelope_message_key"),
    ],
)
def test_bad_options_are_refused_naming_them(options, needle) -> None:
    profile = {"symbols": [{"symbol": "BTCUSDT"}], **options}
    with pytest.raises(ValueError, match=needle):
        SandboxServer(profile)
    with pytest.raises(ValueError, match=needle):
        SandboxServer({"symbols": [{"symbol": "BTCUSDT"}]}, **options)


def test_cli_flags_reach_the_server() -> None:
    command = [sys.executable, "-m", "sandbox", "--port", "0", "--profile", "bench"]
    command += ["--clock-offset-ms", "-120000", "--account-mode", "unified", "--deny", "ip"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" at ")[1].strip()
        process.stdout.readline()
        third = process.stdout.readline()
        assert "clock offset -120000 ms" in third and "unified account" in third and "deny: ip" in third
        server_time = int(requests.get(url + "/api/v2/public/time", timeout=5).json()["data"]["serverTime"])
        assert abs(server_time - (time.time_ns() // 1_000_000 - 120_000)) < 5_000
        headers = {"ACCESS-KEY": "sandbox-key", "ACCESS-PASSPHRASE": "wrong"}
        assert requests.get(url + SPOT, headers=headers, timeout=5).json()["code"] == "40085"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_cli_option_flags_default_to_the_profile() -> None:
    defaults = parse_args([])
    assert [getattr(defaults, name) for name in OPTION_KEYS] == [None] * len(OPTION_KEYS)
    flags = parse_args(["--envelope-message-key", "--empty-spot-history-null", "--deny", "permission"])
    assert (flags.envelope_message_key, flags.empty_spot_history_null, flags.deny) == (
        True,
        True,
        "permission",
    )
