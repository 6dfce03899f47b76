"""Incremental syncs through the real coordinator, workers and aggregator against a living sandbox account:
orders keep arriving, and orders created before a sync finish after it. A ledger that keeps one copy per
(stream, orderId), the newer uTime winning, must equal the sandbox's truth after every sync."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common import sync_state
from lambda_functions.common.bitget import Credentials
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.timewindow import DAY_MS
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.service import Coordinator
from tests.aggregator.factory import FakeClock
from tests.worker.conftest import PREFIX
from tests.worker.test_sandbox_extraction import _install

pytestmark = pytest.mark.sandbox
HISTORY = (ep.SPOT_HISTORY_ORDERS, ep.SPOT_PLAN_HISTORY, ep.FUTURES_HISTORY_ORDERS, ep.FUTURES_PLAN_HISTORY)


class _Sfn:
    def __init__(self) -> None:
        self.inputs: list[dict[str, Any]] = []

    def start_execution(self, **kwargs: Any) -> dict[str, str]:
        self.inputs.append(json.loads(kwargs["input"]))
        return {"executionArn": f"arn:aws:states:us-east-2:1:execution:m:{kwargs['name']}"}


class Harness:
    """Runs account-wide executions like the state machine would, and keeps a ledger of their orders."""

    def __init__(self, server, store) -> None:
        self.server, self.store = server, store
        self.worker = _install(server, store)
        self.aggregator = AggregatorFunction(
            Dependencies(
                store=store,
                settings=AggregatorSettings(results_prefix=PREFIX, cleanup_per_symbol_files=False),
                clock=FakeClock(),
            )
        )
        self.sfn = _Sfn()
        self.ledger: dict[tuple[str, str], dict[str, Any]] = {}
        self.first_start: int | None = None
        self.checker = AccountChecker(
            server.base_url, Credentials("sandbox-key", "sandbox-secret", "sandbox-pass")
        )

    def coordinator(self) -> Coordinator:
        # The local clock, and one account checker for every sync (as the service keeps it): the exchange's
        # clock jumps between syncs, and the window must still end at the exchange's now.
        return Coordinator(self.sfn, self.store, "arn:m", PREFIX, account_checker=self.checker)

    def sync(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.coordinator().handle(body)
        assert answer["statusCode"] == 202, answer
        state = self.sfn.inputs[-1]
        item = {k: state[k] for k in ("execution", "start_ms", "end_ms", "include_plan_orders", "scope")}
        results = [self.worker(item | {"symbol": unit}, None) for unit in state["symbols"]]
        response = self.aggregator(
            {"execution": state["execution"], "symbols": state["symbols"], "results": results}, None
        )
        assert response["summary"]["complete"], response["summary"]["incomplete_streams"]
        with self.store.reader(f"{PREFIX}{state['execution']}/result.json") as fh:
            for order in json.load(fh)["orders"]:
                key = (order["stream"], order["orderId"])
                kept = self.ledger.get(key)
                if kept is None or int(order["uTime"]) > int(kept["uTime"]):
                    self.ledger[key] = order
        if self.first_start is None:
            self.first_start = state["start_ms"]
        return {"input": state, "response": response}

    def assert_ledger_is_the_truth(self) -> None:
        truth = {(o["stream"], o["orderId"]): o for o in self.server.truth(None, self.first_start)}
        edge = self.server.now_ms() - 90 * DAY_MS
        kept_beyond_bitget = {k for k, o in self.ledger.items() if int(o["cTime"]) < edge}
        assert set(self.ledger) - kept_beyond_bitget == set(truth)
        for key, order in truth.items():  # every order in its final form (status, uTime, fills)
            assert self.ledger[key] == order, key


@pytest.fixture
def harness(make_sandbox, store):
    server = make_sandbox("live", seed=5, enforce_rate_limits=False)
    return Harness(server, store)


def _history_requests(server) -> dict[str, int]:
    paths = server.stats()["endpoints"]
    return {path: paths[path]["requests"] for path in HISTORY if path in paths}


def test_three_syncs_with_orders_arriving_and_finishing_late_keep_the_ledger_equal_to_the_truth(harness):
    server = harness.server
    first = harness.sync({})
    harness.assert_ledger_is_the_truth()
    open_at_first = {(o["stream"], o["orderId"]): o for o in server.truth(None, kind="open")}
    assert open_at_first, "the profile must have orders open at the first sync"
    end_of_first = first["input"]["end_ms"]

    server.advance_clock(3 * DAY_MS)
    second = harness.sync({"since": "last_sync"})
    assert second["input"]["scope"]["since_last_sync"] is True
    assert second["input"]["scope"]["stream_starts"]  # an incremental window, not the whole 90 days
    harness.assert_ledger_is_the_truth()

    server.advance_clock(5 * DAY_MS)
    harness.sync({"since": "last_sync"})
    harness.assert_ledger_is_the_truth()

    # orders created before the first sync and finished after it are kept, in their final form
    finished_late = [
        key
        for key, order in open_at_first.items()
        if key in harness.ledger and int(order["cTime"]) < end_of_first
    ]
    assert finished_late, "some order open at the first sync must have finished since"
    for key in finished_late:  # the open copy (status live, uTime then) is not what was kept
        assert harness.ledger[key] != open_at_first[key]
    state = sync_state.read(harness.store, PREFIX, server.app.account.user_id)
    assert state is not None and state["streams"]


def test_a_sync_with_nothing_new_asks_each_history_query_once(harness):
    server = harness.server
    harness.sync({})
    server.advance_clock(60_000)
    harness.sync({"since": "last_sync"})  # takes over the orders open at the first sync
    server.reset()
    third = harness.sync({"since": "last_sync"})
    asked = _history_requests(server)
    scope = third["input"]["scope"]
    lookups = sum(len(items) for items in scope["lookups"].values())
    plan_symbols = len(third["response"]["summary"]["spot_plan_symbols"])
    # one page per query: spot normal, spot tpsl; 3 product types x (history + 3 plan types); spot plan per symbol
    assert asked.get(ep.SPOT_HISTORY_ORDERS, 0) <= 2 + lookups
    assert asked.get(ep.SPOT_PLAN_HISTORY, 0) <= plan_symbols
    assert asked.get(ep.FUTURES_HISTORY_ORDERS, 0) + asked.get(ep.FUTURES_PLAN_HISTORY, 0) <= 3 * 4 + lookups
    harness.assert_ledger_is_the_truth()


def test_a_failed_lookup_leaves_its_stream_incomplete_and_its_sync_state_where_it_was(harness, monkeypatch):
    from lambda_functions.common.bitget import BitgetAPIError
    from lambda_functions.worker import lookups

    server = harness.server
    harness.sync({})
    user = server.app.account.user_id
    before = sync_state.read(harness.store, PREFIX, user)
    assert before is not None
    looked_up = [k for k, e in before["streams"].items() if e.get("open_ids")]
    assert looked_up, "the profile must leave a few open orders to look up"
    failing = looked_up[0]

    def refuse(client, key, item):
        if key == failing:
            raise BitgetAPIError("40725", "service is busy", 400)
        return None

    monkeypatch.setattr(lookups, "_lookup", refuse)
    server.advance_clock(DAY_MS)
    answer = harness.coordinator().handle({"since": "last_sync"})
    state_input = harness.sfn.inputs[-1]
    item = {k: state_input[k] for k in ("execution", "start_ms", "end_ms", "include_plan_orders", "scope")}
    unit = "ALL_SPOT" if failing.startswith("spot") else "ALL_FUTURES"
    summary = harness.worker(item | {"symbol": unit}, None)
    assert answer["statusCode"] == 202
    assert summary["complete"] is False and failing in summary["incomplete_streams"]
    detail = harness.store.get_json(summary["detail_key"])
    stream = detail["streams"][failing]
    assert (stream["reason"], stream["error_code"]) == ("open_order_lookup", "40725")
    coverage = {e["key"]: e["complete"] for e in detail["account"]["coverage"]}
    assert coverage[failing] is False
