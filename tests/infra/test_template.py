"""template.yaml: cfn-lint (with the SAM translator, pinned 1.53.3) passes, and the security choices hold."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_worker_can_only_use_the_prefix_and_read_its_one_secret(resources):
    # checkpoints and segments are read back, compacted segments deleted, cancel.json looked up (a listing)
    s3, listing, secret = resources["WorkerFunction"]["Properties"]["Policies"][0]["Statement"]
    assert s3["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    assert s3["Resource"] == {"Fn::Sub": "${ResultsBucket.Arn}/${ResultsPrefix}*"}
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": {"Fn::Sub": "${ResultsPrefix}*"}}}
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


# --- AWS limits and operations (issue 9, section 3) -------------------------------------------------------------

NO_VALUE = object()


def deployed(template: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    """The template as CloudFormation would create it with these parameter values (defaults for the rest):
    conditions evaluated, `Fn::If` and `AWS::NoValue` resolved, resources whose condition is false dropped.
    Other intrinsics are left as they are."""
    values = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    values.update(parameters)
    conditions: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = truth(template["Conditions"][name])
        return conditions[name]

    def truth(node: Any) -> bool:
        ((function, args),) = node.items()
        if function == "Fn::Equals":
            left, right = (resolve(arg) for arg in args)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not truth(args[0])
        if function == "Condition":
            return condition(args)
        raise AssertionError(f"condition function not handled here: {function}")

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in values:
                return values[node["Ref"]]
            if set(node) == {"Ref"} and node["Ref"] == "AWS::NoValue":
                return NO_VALUE
            if set(node) == {"Fn::If"}:
                name, when_true, when_false = node["Fn::If"]
                return resolve(when_true if condition(name) else when_false)
            items = {key: resolve(value) for key, value in node.items()}
            return {key: value for key, value in items.items() if value is not NO_VALUE}
        if isinstance(node, list):
            return [item for item in (resolve(value) for value in node) if item is not NO_VALUE]
        return node

    resources = {
        name: resolve(resource)
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or condition(resource["Condition"])
    }
    return {"Resources": resources, "Outputs": resolve(template.get("Outputs", {}))}


@pytest.fixture(scope="module")
def template():
    decoded, matches = decode(str(ROOT / "template.yaml"))
    assert not matches
    return decoded


@pytest.fixture(scope="module")
def sam_translated():
    """The CloudFormation template SAM's translator makes of template.yaml (what cfn-lint checks)."""
    from cfnlint.template.transforms._sam import Transform

    decoded, _ = decode(str(ROOT / "template.yaml"))
    region = os.environ.get("AWS_DEFAULT_REGION")  # the translator sets it; restore it for other tests
    try:
        transform = Transform(str(ROOT / "template.yaml"), decoded, "us-east-1")
        assert transform.transform_template() == []
        return transform.template()
    finally:
        if region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = region


def permissions_of(resources: dict[str, Any], function: str) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["FunctionName"] == {"Ref": function}
    ]


def test_a_public_function_url_gets_both_permissions_aws_requires(template):
    # AuthType NONE: lambda:InvokeFunctionUrl for NONE-auth URLs, and (URLs since October 2025)
    # lambda:InvokeFunction for everyone, only through the URL
    public = deployed(template, FunctionUrlAuthType="NONE")["Resources"]
    assert public["CoordinatorFunction"]["Properties"]["FunctionUrlConfig"]["AuthType"] == "NONE"
    statements = permissions_of(public, "CoordinatorFunction")
    assert sorted(statements, key=lambda p: p["Action"]) == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": "CoordinatorFunction"},
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
        {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": {"Ref": "CoordinatorFunction"},
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    ]


def test_the_iam_function_url_default_grants_nobody_anything(template):
    assert template["Parameters"]["FunctionUrlAuthType"]["Default"] == "AWS_IAM"
    private = deployed(template)["Resources"]
    assert private["CoordinatorFunction"]["Properties"]["FunctionUrlConfig"]["AuthType"] == "AWS_IAM"
    assert permissions_of(private, "CoordinatorFunction") == []
    for resource in private.values():  # no public statement anywhere
        assert resource.get("Properties", {}).get("Principal") != "*"


def test_sam_keeps_our_url_permissions_and_adds_none_of_its_own(sam_translated):
    # SAM only generates the public permissions for a literal AuthType NONE; with a parameter it generates
    # none, which is why the template declares them (under the PublicFunctionUrl condition)
    resources = sam_translated["Resources"]
    permissions = {name: r for name, r in resources.items() if r["Type"] == "AWS::Lambda::Permission"}
    assert set(permissions) == {"CoordinatorUrlPublicInvokeUrl", "CoordinatorUrlPublicInvoke"}
    assert {r["Condition"] for r in permissions.values()} == {"PublicFunctionUrl"}
    assert sam_translated["Conditions"]["PublicFunctionUrl"] == {
        "Fn::Equals": [{"Ref": "FunctionUrlAuthType"}, "NONE"]
    }
    url = resources["CoordinatorFunctionUrl"]
    assert url["Type"] == "AWS::Lambda::Url"
    assert url["Properties"]["AuthType"] == {"Ref": "FunctionUrlAuthType"}


def test_the_results_bucket_survives_stack_deletion_and_says_so(template):
    bucket = template["Resources"]["ResultsBucket"]
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"  # a failed first deploy still cleans up
    assert bucket["UpdateReplacePolicy"] == "Retain"
    readme = (ROOT / "README.md").read_text()
    assert "Deleting the stack" in readme and "aws s3 rb" in readme
    assert "Retained" in template["Outputs"]["ResultsBucketName"]["Description"]


@pytest.mark.parametrize(("days", "expires"), [(None, 30), (7, 7), (0, None)])
def test_results_expire_after_the_retention_days_or_never_with_0(template, days, expires):
    assert template["Parameters"]["ResultsRetentionDays"]["Default"] == 30
    assert template["Parameters"]["ResultsRetentionDays"]["MinValue"] == 0
    values = {} if days is None else {"ResultsRetentionDays": days}
    rules = deployed(template, **values)["Resources"]["ResultsBucket"]["Properties"]["LifecycleConfiguration"]
    by_id = {rule["Id"]: rule for rule in rules["Rules"]}
    assert by_id["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    for rule in by_id.values():
        assert rule["Prefix"] == "bitget-results/" and rule["Status"] == "Enabled"
    if expires is None:
        assert "ExpireResults" not in by_id
    else:
        assert by_id["ExpireResults"]["ExpirationInDays"] == expires


@pytest.mark.parametrize("machine_type", ["EXPRESS", "STANDARD"])
def test_the_api_policy_holds_exactly_what_the_api_needs(template, machine_type):
    resources = deployed(template, StateMachineType=machine_type)["Resources"]
    policy = resources["ApiPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert statements["StartExecutions"]["Action"] == "lambda:InvokeFunction"
    assert statements["StartExecutions"]["Resource"] == {"Fn::GetAtt": ["CoordinatorFunction", "Arn"]}
    objects = statements["ResultsObjects"]
    assert objects["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    assert objects["Resource"] == {"Fn::Sub": "${ResultsBucket.Arn}/${ResultsPrefix}*"}
    listing = statements["ResultsListing"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": {"Fn::Sub": "${ResultsPrefix}*"}}}
    if machine_type == "STANDARD":
        describe = statements["DescribeStandardExecutions"]
        assert describe["Action"] == "states:DescribeExecution"
        assert ":execution:${OrdersStateMachine.Name}:*" in describe["Resource"]["Fn::Sub"]
    else:  # EXPRESS executions cannot be described: the API never asks
        assert set(statements) == {"StartExecutions", "ResultsObjects", "ResultsListing"}
    assert "*" not in str([s.get("Action") for s in statements.values()])


def test_the_api_policy_is_an_exported_output_documented_in_the_readme(template):
    output = template["Outputs"]["ApiPolicyArn"]
    assert output["Value"] == {"Ref": "ApiPolicy"}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ApiPolicyArn"}
    assert "ApiPolicyArn" in (ROOT / "README.md").read_text()


def test_the_state_machine_can_be_replaced_when_its_type_changes(template):
    # a Type change replaces the state machine; CloudFormation cannot replace a custom-named resource
    props = template["Resources"]["OrdersStateMachine"]["Properties"]
    assert props["Type"] == {"Ref": "StateMachineType"}
    name = props.get("Name")
    assert name is None or "${StateMachineType}" in str(name), name


def test_max_symbols_cannot_exceed_what_the_map_output_holds(template):
    assert template["Parameters"]["MaxSymbols"]["MaxValue"] <= 500


def test_the_sync_schedule_is_off_by_default_and_invokes_the_coordinator_with_an_incremental_sync(resources):
    template, _ = decode(str(ROOT / "template.yaml"))
    assert template["Parameters"]["SyncScheduleState"]["Default"] == "DISABLED"
    schedule = resources["SyncSchedule"]["Properties"]
    assert schedule["State"] == {"Ref": "SyncScheduleState"}
    assert schedule["ScheduleExpression"] == {"Ref": "SyncScheduleExpression"}
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["CoordinatorFunction", "Arn"]}
    assert json.loads(target["Input"]) == {"since": "last_sync"}
    role = resources["SyncScheduleRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["CoordinatorFunction", "Arn"]}
    pattern = re.compile(template["Parameters"]["SyncScheduleExpression"]["AllowedPattern"])
    assert pattern.match("rate(1 day)") and pattern.match("cron(0 3 * * ? *)")
    assert not pattern.match("every day")
