"""step_functions/init.json: valid JSON, accepted by the ASL parser, every transition target exists, and every
placeholder is provided by template.yaml and by the embedded runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from app.orchestration.definition import (
    DEFINITION_PATH,
    DefinitionError,
    load_definition,
    placeholders_in,
    substitute,
)

ROOT = Path(__file__).resolve().parents[2]
# The placeholders init.json uses; template.yaml and the embedded runner must provide every one.
PLACEHOLDERS = {"WorkerFunctionArn", "AggregatorFunctionArn", "MapMaxConcurrency"}
SAMPLE_VALUES = {
    "WorkerFunctionArn": "arn:aws:lambda:us-east-2:123456789012:function:worker",
    "AggregatorFunctionArn": "arn:aws:lambda:us-east-2:123456789012:function:aggregator",
    "MapMaxConcurrency": 5,
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def all_state_sets(states: dict[str, Any]):
    """Each States block (top level and nested Map processors) with its states."""
    yield states
    for state in states.values():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from all_state_sets(processor["States"])


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(load_definition(SAMPLE_VALUES))


def test_raw_file_is_json():
    assert json.loads(DEFINITION_PATH.read_text())["StartAt"] == "Configure"


def test_parser_accepts_the_substituted_definition():
    program = AmazonStateLanguageParser.parse(load_definition(SAMPLE_VALUES))
    assert program is not None


def test_every_transition_target_exists(definition):
    for states in all_state_sets(definition["States"]):
        for name, state in states.items():
            targets = [state.get("Next"), state.get("Default")]
            targets += [c.get("Next") for c in state.get("Catch", []) + state.get("Choices", [])]
            for target in filter(None, targets):
                assert target in states, f"{name} -> {target}: no such state"
            assert state.get("End") or state.get("Next") or state["Type"] in ("Fail", "Succeed", "Choice"), (
                name
            )


def test_worker_retries_lambda_errors_and_catches_everything(definition):
    worker = definition["States"]["ExtractSymbols"]["ItemProcessor"]["States"]["ExtractSymbol"]
    assert set(worker["Retry"][0]["ErrorEquals"]) == LAMBDA_ERRORS
    assert worker["Retry"][0]["BackoffRate"] > 1
    assert worker["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    assert definition["States"]["ExtractSymbols"]["ItemSelector"] == {
        "symbol.$": "$$.Map.Item.Value",
        "start_ms.$": "$.start_ms",
        "end_ms.$": "$.end_ms",
        "execution.$": "$.execution",
        "include_plan_orders.$": "$.include_plan_orders",
        "include_simulation.$": "$.include_simulation",
        "rate_share.$": "$.rate_share",
        "deadline_ms.$": "$.deadline_ms",
        "resume.$": "$.resume",
        "scope.$": "$.scope",
        "include_fills.$": "$.include_fills",
        "account_mode.$": "$.account_mode",
    }


def test_aggregate_failure_is_recorded_then_fails(definition):
    states = definition["States"]
    assert states["Aggregate"]["Catch"][0]["Next"] == "RecordFailure"
    assert states["RecordFailure"]["Parameters"]["mode"] == "failure"
    assert states["RecordFailure"]["Next"] == "ExtractionFailed"
    assert states["ExtractionFailed"]["Type"] == "Fail"


def test_placeholders_are_provided_by_the_template_and_the_runner():
    used = placeholders_in(DEFINITION_PATH.read_text())
    template, matches = decode(str(ROOT / "template.yaml"))
    assert not matches
    provided = set(template["Resources"]["OrdersStateMachine"]["Properties"]["DefinitionSubstitutions"])
    assert used == provided == PLACEHOLDERS


def test_missing_placeholder_value_is_an_error():
    with pytest.raises(DefinitionError, match="MapMaxConcurrency"):
        substitute(DEFINITION_PATH.read_text(), {"WorkerFunctionArn": "a", "AggregatorFunctionArn": "b"})
