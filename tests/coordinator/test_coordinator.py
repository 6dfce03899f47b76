"""Coordinator handler: validation (400, nothing started or written), start (202, manifest first), events."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.account_check import AccountCheck, AccountChecker
from lambda_functions.coordinator.naming import NAME_PATTERN, execution_name_from_arn
from lambda_functions.coordinator.service import Coordinator, OptionDefaults
from lambda_functions.coordinator.validation import DAY_MS

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
START, END = NOW_MS - 10 * DAY_MS, NOW_MS - 5 * DAY_MS  # a window inside Bitget's retention
MACHINE = "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders"


class RecordingSfn:
    def __init__(self, store=None, fail=False):
        self.calls = []
        self.store = store
        self.fail = fail
        self.manifest_seen_at_start = None

    def start_execution(self, **kwargs):
        self.calls.append(kwargs)
        if self.store is not None:
            self.manifest_seen_at_start = self.store.get_json(manifest_key("p/", kwargs["name"]))
        if self.fail:
            raise RuntimeError("throttled")
        return {"executionArn": MACHINE.replace("stateMachine", "execution") + ":" + kwargs["name"]}


@pytest.fixture
def store(tmp_path):
    return LocalResultsStore(tmp_path)


def coordinator(store, sfn, max_symbols=500):
    return Coordinator(sfn, store, MACHINE, "p/", max_symbols=max_symbols, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"symbols": ["BTCUSDT"], "since": "last_sync"}, "syncs the whole account: omit 'symbols'"),
        ({"since": "yesterday"}, "'since' must be \"last_sync\" or absent"),
        ({"since": "last_sync", "start_ms": NOW_MS - DAY_MS}, "do not send 'start_ms' with it"),
        ({"symbols": ["BTCUSDT"], "spot_plan_symbols": ["ETHUSDT"]}, "for account-wide requests"),
        ({"spot_plan_symbols": ["BTC-USDT"]}, "invalid symbol 'BTC-USDT'"),
        ({"since": "last_sync"}, "needs the account's identity"),
        ({"symbols": []}, "'symbols' is empty"),
        ({"symbols": "BTCUSDT"}, "'symbols' must be a list"),
        ({"symbols": [42]}, "every symbol must be a string"),
        ({"symbols": ["B"]}, "invalid symbol 'B'"),
        ({"symbols": ["BTC-USDT"]}, "invalid symbol 'BTC-USDT'"),
        ({"symbols": ["BTCUSDT_XYZ"]}, "invalid symbol 'BTCUSDT_XYZ'"),
        ({"symbols": ["A" * 31]}, "invalid symbol"),
        ({"symbols": ["A1", "A2", "A3"]}, "too many symbols: 3 (at most 2"),
        (
            {"symbols": ["BTCUSDT"], "start_ms": 10, "end_ms": 10},
            "'start_ms' (10) must be before 'end_ms' (10)",
        ),
        ({"symbols": ["BTCUSDT"], "start_ms": 20, "end_ms": 10}, "must be before"),
        ({"symbols": ["BTCUSDT"], "start_ms": "yesterday"}, "'start_ms' must be an integer"),
        ({"symbols": ["BTCUSDT"], "end_ms": 1.5}, "'end_ms' must be an integer"),
        ({"symbols": ["BTCUSDT"], "end_ms": True}, "'end_ms' must be an integer"),
        ({"symbols": ["BTCUSDT"], "start_ms": -1}, "'start_ms' must not be negative"),
        ({"symbols": ["BTCUSDT"], "start_ms": NOW_MS + 1}, f"'start_ms' ({NOW_MS + 1}) is in the future"),
        ({"symbols": ["BTCUSDT"], "start_ms": NOW_MS}, "is in the future"),
        ({"symbols": ["BTCUSDT"], "start_ms": 10**30}, "'start_ms' must be at most 4102444800000"),
        ({"symbols": ["BTCUSDT"], "end_ms": 4102444800001}, "'end_ms' must be at most 4102444800000"),
        ({"symbols": ["BTCUSDT"], "start_ms": 1_000, "end_ms": 2_000}, "90-day order-history retention"),
        (
            {"symbols": ["BTCUSDT"], "start_ms": NOW_MS - 99 * DAY_MS, "end_ms": NOW_MS - 90 * DAY_MS},
            f"must end after {NOW_MS - 90 * DAY_MS}",
        ),
        (
            {"symbols": ["BTCUSDT"], "start_ms": NOW_MS + 3_600_000, "end_ms": NOW_MS + 7_200_000},
            "is in the future",
        ),
        ({"symbols": ["BTCUSDT"], "include_plan_orders": "yes"}, "'include_plan_orders' must be true, false"),
        ({"symbols": ["BTCUSDT"], "include_plan_orders": 1}, "'include_plan_orders' must be true, false"),
        ({"symbols": ["BTCUSDT"], "include_simulation": "false"}, "'include_simulation' must be true, false"),
        ({"symbols": ["BTCUSDT"], "include_simulation": []}, "'include_simulation' must be true, false"),
        (["BTCUSDT"], "must be a JSON object"),
        ({"requestContext": {"http": {"method": "POST"}}, "body": "{not json"}, "not valid JSON"),
        ({"requestContext": {"http": {"method": "POST"}}, "body": ""}, "request body is empty"),
        ({"requestContext": {}, "body": "%%%", "isBase64Encoded": True}, "not valid base64"),
    ],
)
def test_bad_input_is_400_naming_the_problem_and_has_no_side_effect(store, event, message):
    sfn = RecordingSfn()
    answer = coordinator(store, sfn, max_symbols=2).handle(event)
    assert answer["statusCode"] == 400
    assert message in json.loads(answer["body"])["error"]
    assert sfn.calls == []
    assert store.list_keys("") == []


def test_good_input_writes_the_manifest_first_then_starts_once(store):
    sfn = RecordingSfn(store)
    event = {
        "symbols": [" btcusdt", "ETHUSDT", "BTCUSDT_UMCBL", "ethusdt_spbl"],
        "start_ms": START,
        "end_ms": END,
    }
    answer = coordinator(store, sfn).handle(event)

    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert body["symbols"] == ["BTCUSDT", "ETHUSDT"]
    (call,) = sfn.calls
    assert call["stateMachineArn"] == MACHINE
    assert call["name"] == body["execution"]
    assert json.loads(call["input"]) == {
        "execution": body["execution"],
        "symbols": ["BTCUSDT", "ETHUSDT"],
        "start_ms": START,
        "end_ms": END,
        "include_plan_orders": True,  # the service defaults, resolved: every worker gets a boolean
        "include_simulation": False,
        "rate_share": 0.5,  # two symbols: two workers at once
        "account_id": None,  # no account check configured
        "deadline_ms": None,  # no time limit configured (STANDARD, embedded)
        "resume": False,
        "scope": None,  # a symbol list, not the whole account
        "include_fills": False,  # a symbol list: fills only when asked for
        "account_mode": None,  # no account check: each worker probes the mode
    }
    assert (body["window_clamped"], body["window_note"], body["account_check"]) == (False, None, "off")
    assert (body["requested_start_ms"], body["requested_end_ms"]) == (START, END)
    assert sfn.manifest_seen_at_start is not None
    assert sfn.manifest_seen_at_start["status"] == "RUNNING"
    manifest = store.get_json(manifest_key("p/", body["execution"]))
    assert manifest["execution_arn"] == body["executionArn"]
    assert manifest["started_at"] == "2025-03-01T12:00:00.000Z"
    assert (manifest["start_ms"], manifest["end_ms"], manifest["status"]) == (START, END, "RUNNING")
    assert (manifest["include_plan_orders"], manifest["include_simulation"]) == (True, False)


def test_a_start_before_the_retention_is_clamped_to_the_retention_edge_and_said_so(store):
    # GIVEN a window from a year ago to yesterday
    event = {"symbols": ["BTCUSDT"], "start_ms": NOW_MS - 365 * DAY_MS, "end_ms": NOW_MS - DAY_MS}
    sfn = RecordingSfn()
    # WHEN the coordinator handles it
    answer = coordinator(store, sfn).handle(event)
    # THEN it starts at the retention edge, echoes what was asked and says why it changed
    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    edge = NOW_MS - 90 * DAY_MS
    assert (body["start_ms"], body["end_ms"]) == (edge, NOW_MS - DAY_MS)
    assert (body["requested_start_ms"], body["requested_end_ms"]) == (NOW_MS - 365 * DAY_MS, NOW_MS - DAY_MS)
    assert body["window_clamped"] is True
    assert f"clamped to the retention edge ({edge})" in body["window_note"]
    state = json.loads(sfn.calls[0]["input"])
    assert (state["start_ms"], state["end_ms"]) == (edge, NOW_MS - DAY_MS)  # the workers get the clamped one
    manifest = store.get_json(manifest_key("p/", body["execution"]))
    assert (manifest["start_ms"], manifest["window_clamped"]) == (edge, True)


def test_a_future_end_is_clamped_to_now_and_never_shifts_the_start(store):
    # GIVEN a start 10 days ago and an end a week in the future
    event = {"symbols": ["BTCUSDT"], "start_ms": NOW_MS - 10 * DAY_MS, "end_ms": NOW_MS + 7 * DAY_MS}
    # WHEN the coordinator handles it
    body = json.loads(coordinator(store, RecordingSfn()).handle(event)["body"])
    # THEN the end is now and the start is the one asked for
    assert (body["start_ms"], body["end_ms"]) == (NOW_MS - 10 * DAY_MS, NOW_MS)
    assert body["window_clamped"] is True
    assert body["window_note"] == f"end_ms {NOW_MS + 7 * DAY_MS} is in the future: clamped to now ({NOW_MS})."


def test_a_future_end_without_a_start_counts_the_default_window_back_from_now(store):
    # GIVEN only an end a month in the future (the default start is counted back from the end)
    event = {"symbols": ["BTCUSDT"], "end_ms": NOW_MS + 30 * DAY_MS}
    body = json.loads(coordinator(store, RecordingSfn()).handle(event)["body"])
    # THEN the default window is the last 90 days, not the 60 days a future end would leave
    assert (body["start_ms"], body["end_ms"]) == (NOW_MS - 90 * DAY_MS, NOW_MS)
    assert (body["requested_start_ms"], body["window_clamped"]) == (None, True)


def test_default_window_is_the_last_90_days(store):
    sfn = RecordingSfn()
    body = json.loads(coordinator(store, sfn).handle({"symbols": ["BTCUSDT"]})["body"])
    assert (body["start_ms"], body["end_ms"]) == (NOW_MS - 90 * DAY_MS, NOW_MS)
    assert (body["requested_start_ms"], body["requested_end_ms"], body["window_clamped"]) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("event_options", "defaults", "expected"),
    [
        ({}, OptionDefaults(), (True, False)),
        ({"include_plan_orders": None, "include_simulation": None}, OptionDefaults(), (True, False)),
        ({"include_plan_orders": False, "include_simulation": True}, OptionDefaults(), (False, True)),
        ({}, OptionDefaults(include_plan_orders=False, include_simulation=True), (False, True)),
        ({"include_plan_orders": True}, OptionDefaults(include_plan_orders=False), (True, False)),
    ],
)
def test_options_override_the_service_defaults_in_the_state_input(store, event_options, defaults, expected):
    sfn = RecordingSfn()
    handler = Coordinator(sfn, store, MACHINE, "p/", clock=lambda: NOW, defaults=defaults)
    body = json.loads(handler.handle({"symbols": ["BTCUSDT"]} | event_options)["body"])
    state = json.loads(sfn.calls[0]["input"])
    assert (state["include_plan_orders"], state["include_simulation"]) == expected
    assert (body["include_plan_orders"], body["include_simulation"]) == expected


@pytest.mark.parametrize(
    ("symbols", "concurrency", "share"),
    [(1, 5, 1.0), (2, 5, 0.5), (3, 5, 1 / 3), (5, 5, 0.2), (20, 5, 0.2), (500, 40, 1 / 40), (7, 1, 1.0)],
)
def test_rate_share_is_one_over_the_workers_that_run_at_once(store, symbols, concurrency, share):
    # GIVEN `symbols` symbols and a Map running at most `concurrency` workers at once
    sfn = RecordingSfn()
    handler = Coordinator(sfn, store, MACHINE, "p/", clock=lambda: NOW, map_max_concurrency=concurrency)
    names = [f"S{i:03d}X" for i in range(symbols)]
    # WHEN an execution starts
    assert handler.handle({"symbols": names})["statusCode"] == 202
    # THEN each worker may use 1 / min(symbols, concurrency) of every limit: together never more than all of it
    state = json.loads(sfn.calls[0]["input"])
    assert state["rate_share"] == pytest.approx(share)
    assert 0 < state["rate_share"] <= 1
    assert state["rate_share"] * min(symbols, concurrency) == pytest.approx(1.0)


@pytest.mark.parametrize("encode", [False, True])
def test_function_url_event_with_plain_or_base64_body(store, encode):
    sfn = RecordingSfn()
    raw = json.dumps({"symbols": ["BTCUSDT"], "start_ms": START, "end_ms": END})
    event = {
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "body": base64.b64encode(raw.encode()).decode() if encode else raw,
        "isBase64Encoded": encode,
    }
    answer = coordinator(store, sfn).handle(event)
    assert answer["statusCode"] == 202
    assert json.loads(sfn.calls[0]["input"])["symbols"] == ["BTCUSDT"]


def test_failed_start_answers_502_and_marks_the_manifest_failed(store):
    sfn = RecordingSfn(fail=True)
    answer = coordinator(store, sfn).handle({"symbols": ["BTCUSDT"]})
    assert answer["statusCode"] == 502
    name = json.loads(answer["body"])["execution"]
    manifest = store.get_json(manifest_key("p/", name))
    assert (manifest["status"], manifest["error"]) == ("FAILED", "StartFailed")


def test_execution_names_are_valid_and_unique(store):
    sfn = RecordingSfn()
    c = coordinator(store, sfn)
    names = {json.loads(c.handle({"symbols": ["BTCUSDT"]})["body"])["execution"] for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert NAME_PATTERN.fullmatch(name)
        assert len(name) <= 80
        assert name.startswith("20250301T120000Z-")


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:states:us-east-2:1:execution:bitget-orders:run-1", "run-1"),
        ("arn:aws:states:us-east-2:1:express:bitget-orders:run-1:8c1d7b1e-aaaa", "run-1"),
        ("arn:aws:states:us-east-2:1:stateMachine:bitget-orders", None),
        ("arn:aws:states:us-east-2:1:execution:bitget-orders:../etc", None),
        ("not an arn", None),
    ],
)
def test_execution_name_from_arn(arn, name):
    assert execution_name_from_arn(arn) == name


# ---- account-wide requests -------------------------------------------------------------------------------


class _Account(AccountChecker):
    """An account checker that always answers with the same account (no exchange: the base is not set up)."""

    def __init__(self, account_id: str = "5550001111") -> None:
        self.result = AccountCheck(status="ok", message="ok", account_id=account_id)

    def check(self) -> AccountCheck:
        return self.result

    def fresh_clock_offset_ms(self) -> int | None:
        return 0  # the test's clock is Bitget's


def _account_coordinator(store, sfn):
    return Coordinator(sfn, store, MACHINE, "p/", clock=lambda: NOW, account_checker=_Account())


@pytest.mark.parametrize("symbols", [None, "all", "ALL"])
def test_symbols_omitted_or_all_starts_the_account_units_at_the_full_rate(store, symbols):
    sfn = RecordingSfn()
    body = {} if symbols is None else {"symbols": symbols}
    answer = _account_coordinator(store, sfn).handle(body | {"spot_plan_symbols": ["xrpusdt"]})
    assert answer["statusCode"] == 202, answer
    started = json.loads(sfn.calls[0]["input"])
    assert started["symbols"] == ["ALL_SPOT", "ALL_FUTURES"]
    assert started["rate_share"] == 1.0
    assert started["scope"] == {
        "stream_starts": {},
        "spot_plan_symbols": ["XRPUSDT"],
        "since_last_sync": False,
        "lookups": {},
    }
    body = json.loads(answer["body"])
    assert body["scope"] == "account" and body["account_id"] == "5550001111"
    manifest = store.get_json(f"p/{body['execution']}/manifest.json")
    assert manifest["account_scope"] == started["scope"]


def test_since_last_sync_starts_each_stream_where_the_state_says(store):
    from lambda_functions.common import sync_state

    state = sync_state.updated(
        None,
        account_id="5550001111",
        execution="first",
        coverage=[
            {"key": "spot_normal", "stream": "spot_normal", "start_ms": NOW_MS - 80 * DAY_MS,
             "end_ms": NOW_MS - DAY_MS, "complete": True},
            {"key": "USDT-FUTURES", "stream": "USDT-FUTURES", "start_ms": NOW_MS - 80 * DAY_MS,
             "end_ms": NOW_MS - DAY_MS, "complete": True},
            {"key": "spot_tpsl", "stream": "spot_tpsl", "start_ms": NOW_MS - 80 * DAY_MS,
             "end_ms": NOW_MS - DAY_MS, "complete": False},
        ],
        open_orders={
            "spot_normal": {"checked": True, "count": 1, "oldest_ms": NOW_MS - 20 * DAY_MS},
            "USDT-FUTURES": {"checked": True, "count": 0, "oldest_ms": None},
        },
        spot_symbols=["BTCUSDT"],
        now=NOW,
    )  # fmt: skip
    sync_state.write(store, "p/", "5550001111", state)
    sfn = RecordingSfn()
    answer = _account_coordinator(store, sfn).handle({"since": "last_sync"})
    assert answer["statusCode"] == 202, answer
    scope = json.loads(sfn.calls[0]["input"])["scope"]
    overlap = sync_state.SYNC_OVERLAP_MS
    # the open order created 20 days ago pulls spot_normal back; futures go on from the last end
    assert scope["stream_starts"] == {
        "spot_normal": NOW_MS - 20 * DAY_MS - overlap,
        "USDT-FUTURES": NOW_MS - DAY_MS - overlap,
    }
    assert "spot_tpsl" not in scope["stream_starts"]  # never complete: paged over the whole window
    assert scope["spot_plan_symbols"] == ["BTCUSDT"] and scope["since_last_sync"] is True


def test_since_last_sync_without_a_recorded_sync_reads_the_whole_window_and_says_so(store):
    sfn = RecordingSfn()
    answer = _account_coordinator(store, sfn).handle({"since": "last_sync"})
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 202
    assert "no complete sync of account 5550001111" in body["sync_note"]
    assert json.loads(sfn.calls[0]["input"])["scope"]["stream_starts"] == {}
