"""The AWS path with the real handlers: boto3 Lambda invoke -> coordinator -> Step Functions (moto runs the ASL)
-> the real worker against the sandbox exchange -> the real aggregator -> S3, then the presigned download.

Same result as the embedded path: the consolidated orders equal the union of the sandbox's truth.
"""

from __future__ import annotations

import pytest
import requests
from moto.awslambda_simple.models import LambdaSimpleBackend

from lambda_functions.common.streams import newest_first_key
from lambda_functions.coordinator import app as coordinator_app
from tests.orchestration.test_aws import aws, deploy, dispatcher, wait
from tests.orchestration.test_end_to_end import PROFILE, install_worker, real_aggregator

pytestmark = [pytest.mark.aws, pytest.mark.sandbox]

__all__ = ["aws"]  # the moto fixture, shared with test_aws.py


@pytest.fixture
def real_handlers(make_sandbox, monkeypatch):
    """The worker and aggregator handlers wired to the S3 store that `deploy` creates."""
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)

    def route(store):
        handlers = {
            "bitget-coordinator": coordinator_app.handler,
            "bitget-worker": install_worker(server, store),
            "bitget-aggregator": real_aggregator(store),
        }
        monkeypatch.setattr(LambdaSimpleBackend, "invoke", dispatcher(handlers))

    return server, route


@pytest.mark.parametrize("machine_type", ["EXPRESS", "STANDARD"])
def test_real_handlers_through_boto3_give_the_sandbox_truth(aws, monkeypatch, real_handlers, machine_type):
    server, route = real_handlers
    orchestrator, calls, store = deploy(aws, monkeypatch, machine_type)
    route(store)  # replaces deploy's fake worker and aggregator with the real ones, on the same S3 store

    started = orchestrator.start(["BTCUSDT", "ETHUSDT", "XRPUSDT", "NOSUCHCOIN"], None, None)
    state = wait(orchestrator, started.execution_arn, timeout_s=60)

    assert state.status == "SUCCEEDED"
    summary = state.output["summary"]
    assert summary["error_summary"] == {"symbol_not_found": {"count": 1}}
    assert ("DescribeExecution" in calls) == (machine_type == "STANDARD")
    document = requests.get(state.output["s3_data_url"], timeout=10).json()
    truth = [order for symbol in ("BTCUSDT", "ETHUSDT", "XRPUSDT") for order in server.truth(symbol)]
    expected = sorted(truth, key=newest_first_key, reverse=True)
    assert [(o["stream"], o["orderId"]) for o in document["orders"]] == [
        (o["stream"], o["orderId"]) for o in expected
    ]
    assert summary["total_orders"] == len(expected)
