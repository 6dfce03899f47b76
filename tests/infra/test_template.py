"""template.yaml: cfn-lint (with the SAM translator, pinned 1.53.3) passes, and the security choices hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resources():
    template, matches = decode(str(ROOT / "template.yaml"))
    assert not matches
    return template["Resources"]


def test_cfn_lint_passes():
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_bucket_is_private(resources):
    props = resources["ResultsBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert props["LifecycleConfiguration"]["Rules"][0]["Prefix"] == {"Ref": "ResultsPrefix"}


@pytest.mark.parametrize("function", ["worker", "aggregator", "coordinator"])
def test_handlers_point_into_the_packaged_lambda_functions_folder(resources, function):
    props = resources[f"{function.capitalize()}Function"]["Properties"]
    assert props["Handler"] == f"lambda_functions/{function}/app.handler"
    assert props["CodeUri"] == f"build/{function}.zip"
    assert (ROOT / "lambda_functions" / function / "app.py").is_file()


def test_function_url_is_iam_by_default(resources):
    template, _ = decode(str(ROOT / "template.yaml"))
    assert template["Parameters"]["FunctionUrlAuthType"]["Default"] == "AWS_IAM"
    assert template["Parameters"]["StateMachineType"]["Default"] == "EXPRESS"


def test_bitget_credentials_come_from_secrets_manager_not_the_environment(resources):
    template, _ = decode(str(ROOT / "template.yaml"))
    parameters = template["Parameters"]
    assert parameters["BitgetSecretArn"]["Type"] == "String"
    assert "Default" not in parameters["BitgetSecretArn"]  # must be given at deploy time
    for gone in ("BitgetApiKey", "BitgetApiSecret", "BitgetApiPassphrase"):
        assert gone not in parameters
    for name, resource in resources.items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for plain in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE"):
            assert plain not in variables, f"{name} passes {plain} as a plain environment variable"
    for plain in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE"):
        assert plain not in template["Globals"]["Function"]["Environment"]["Variables"]
    worker_env = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert worker_env["BITGET_SECRET_ARN"] == {"Ref": "BitgetSecretArn"}


def test_worker_can_only_write_under_the_prefix_and_read_its_one_secret(resources):
    s3, secret = resources["WorkerFunction"]["Properties"]["Policies"][0]["Statement"]
    assert s3["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert s3["Resource"] == {"Fn::Sub": "${ResultsBucket.Arn}/${ResultsPrefix}*"}
    assert secret["Effect"] == "Allow"
    assert secret["Action"] == "secretsmanager:GetSecretValue"
    assert secret["Resource"] == {"Ref": "BitgetSecretArn"}


def test_only_the_worker_and_the_coordinator_may_read_the_secret(resources):
    for name, resource in resources.items():
        if name in ("WorkerFunction", "CoordinatorFunction"):
            continue
        assert "secretsmanager" not in str(resource.get("Properties", {}).get("Policies", "")), name


def test_the_coordinator_checks_the_account_with_the_workers_secret(resources):
    props = resources["CoordinatorFunction"]["Properties"]
    *_, secret = props["Policies"][0]["Statement"]
    assert (secret["Action"], secret["Resource"]) == (
        "secretsmanager:GetSecretValue",
        {"Ref": "BitgetSecretArn"},
    )
    env = props["Environment"]["Variables"]
    worker_env = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    for name in (
        "BITGET_SECRET_ARN",
        "BITGET_BASE",
        "MAP_MAX_CONCURRENCY",
        "INCLUDE_PLAN_ORDERS",
        "INCLUDE_SIMULATION",
    ):
        assert env[name] == worker_env[name], name  # the same account, exchange, concurrency and defaults
    assert env["ACCOUNT_PRECHECK"] == {"Ref": "AccountPrecheck"}
    # the Map's MaxConcurrency and the coordinator's rate_share come from the same parameter
    substitutions = resources["OrdersStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["MapMaxConcurrency"] == env["MAP_MAX_CONCURRENCY"] == {"Ref": "MapMaxConcurrency"}


def test_plan_orders_are_extracted_by_default(resources):
    template, _ = decode(str(ROOT / "template.yaml"))
    assert template["Parameters"]["IncludePlanOrders"]["Default"] == "true"
    assert template["Parameters"]["IncludeSimulation"]["Default"] == "false"
    assert template["Parameters"]["AccountPrecheck"]["Default"] == "true"
