"""Bitget credentials from Secrets Manager (BITGET_SECRET_ARN): read once, clear errors that never hold the secret."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker.credentials import credentials
from lambda_functions.worker.settings import settings_from_environment
from lambda_functions.worker.wiring import build_dependencies
from tests.worker.conftest import worker_settings

REGION = "us-east-2"
SECRET = {"api_key": "bg_key_from_secret", "api_secret": "s3cr3t-VALUE-xyz", "passphrase": "pass-phrase-777"}
PLAIN = ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE")


@pytest.fixture
def aws(monkeypatch):
    """moto Secrets Manager with fake credentials; no real AWS call can happen."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in PLAIN:
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def _store_secret(client, value: str, name: str = "bitget/readonly") -> str:
    return client.create_secret(Name=name, SecretString=value)["ARN"]


def test_worker_builds_its_client_with_the_secrets_credentials_read_once(aws, monkeypatch, tmp_path):
    arn = _store_secret(aws, json.dumps(SECRET))
    monkeypatch.setenv("BITGET_SECRET_ARN", arn)
    deps = build_dependencies(store=LocalResultsStore(tmp_path))
    assert deps.settings.bitget_secret_arn == arn
    client = deps.make_client(RateLimiter())
    creds = client._credentials
    assert (creds.api_key, creds.api_secret, creds.passphrase) == (
        SECRET["api_key"],
        SECRET["api_secret"],
        SECRET["passphrase"],
    )
    # Read at cold start only: later invocations' clients do not call Secrets Manager again.
    aws.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert deps.make_client(RateLimiter())._credentials == creds


def test_the_secret_is_fetched_exactly_once_per_process(aws, tmp_path):
    arn = _store_secret(aws, json.dumps(SECRET))
    calls = []

    class Counting:
        def get_secret_value(self, **kwargs):
            calls.append(kwargs)
            return aws.get_secret_value(**kwargs)

    deps = build_dependencies(
        worker_settings(bitget_secret_arn=arn), LocalResultsStore(tmp_path), secrets_client=Counting()
    )
    for _ in range(3):
        deps.make_client(RateLimiter())
    assert calls == [{"SecretId": arn}]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("api_key=k;api_secret=s3cr3t-VALUE-xyz", "not a JSON object"),
        ('["s3cr3t-VALUE-xyz"]', "not a JSON object"),
        (json.dumps({"api_key": "k", "api_secret": "s3cr3t-VALUE-xyz"}), "passphrase"),
        (json.dumps({**SECRET, "api_secret": 5}), "api_secret"),
    ],
)
def test_a_malformed_secret_is_a_clear_error_without_its_value(aws, tmp_path, value, message):
    arn = _store_secret(aws, value)
    with pytest.raises(ValueError, match=message) as raised:
        build_dependencies(worker_settings(bitget_secret_arn=arn), LocalResultsStore(tmp_path))
    text = str(raised.value)
    assert arn in text and "BITGET_SECRET_ARN" in text
    assert "s3cr3t-VALUE-xyz" not in text
    error = raised.value  # nothing chained that could carry the value into a traceback
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_a_missing_secret_is_a_clear_error(aws, tmp_path):
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:bitget/absent-AbCdEf"
    with pytest.raises(ValueError, match=r"could not read the Bitget secret .*ResourceNotFoundException"):
        build_dependencies(worker_settings(bitget_secret_arn=arn), LocalResultsStore(tmp_path))


def test_plain_environment_credentials_still_work_without_a_secret(monkeypatch):
    monkeypatch.delenv("BITGET_SECRET_ARN", raising=False)
    creds = credentials(worker_settings(bitget_api_key="k", bitget_api_secret="s", bitget_api_passphrase="p"))
    assert creds is not None
    assert (creds.api_key, creds.api_secret, creds.passphrase) == ("k", "s", "p")
    assert credentials(worker_settings()) is None


def test_secret_arn_and_plain_credentials_together_are_a_configuration_error(monkeypatch):
    monkeypatch.setenv("BITGET_SECRET_ARN", f"arn:aws:secretsmanager:{REGION}:123456789012:secret:x-AbCdEf")
    monkeypatch.setenv("BITGET_API_KEY", "k")
    monkeypatch.setenv("BITGET_API_SECRET", "s3cr3t-VALUE-xyz")
    monkeypatch.delenv("BITGET_API_PASSPHRASE", raising=False)
    with pytest.raises(ValueError, match="not both") as raised:
        settings_from_environment()
    text = str(raised.value)
    assert "BITGET_SECRET_ARN" in text and "BITGET_API_KEY" in text and "BITGET_API_SECRET" in text
    assert "s3cr3t-VALUE-xyz" not in text


def test_invalid_settings_from_the_environment_never_echo_the_secret(monkeypatch):
    monkeypatch.delenv("BITGET_SECRET_ARN", raising=False)
    monkeypatch.setenv("BITGET_BASE", "ftp://api.bitget.com")
    monkeypatch.setenv("BITGET_API_KEY", "bg_key_plain")
    monkeypatch.setenv("BITGET_API_SECRET", "s3cr3t-VALUE-xyz")
    monkeypatch.setenv("BITGET_API_PASSPHRASE", "pass-phrase-777")
    monkeypatch.setenv("MAX_PAGE_SIZE", "500")
    with pytest.raises(ValueError, match="invalid worker settings") as raised:
        settings_from_environment()
    error = raised.value
    assert type(error) is ValueError  # not pydantic's ValidationError, whose text carries the input
    text = str(error)
    assert "MAX_PAGE_SIZE" in text
    for leaked in ("s3cr3t-VALUE-xyz", "pass-phrase-777", "bg_key_plain"):
        assert leaked not in text
    assert error.__cause__ is None and error.__suppress_context__


def test_bad_base_url_from_the_environment_is_named_without_the_secret(monkeypatch):
    monkeypatch.delenv("BITGET_SECRET_ARN", raising=False)
    monkeypatch.setenv("BITGET_BASE", "ftp://api.bitget.com")
    monkeypatch.setenv("BITGET_API_SECRET", "s3cr3t-VALUE-xyz")
    with pytest.raises(ValueError, match="BITGET_BASE must be an http") as raised:
        build_dependencies(store=None)
    assert "s3cr3t-VALUE-xyz" not in str(raised.value)
