"""The worker's Bitget credentials: the Secrets Manager secret (BITGET_SECRET_ARN, AWS deployments) or the three
plain settings (BITGET_API_KEY / BITGET_API_SECRET / BITGET_API_PASSPHRASE).

The secret is read once per process, when the worker's dependencies are built (wiring.py); the coordinator reads
the same secret the same way for its account check. Errors name the secret and the problem, never its value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lambda_functions.common.bitget import Credentials
from lambda_functions.common.config import StoreSettings
from lambda_functions.worker.settings import WorkerSettings

_SECRET_FIELDS = ("api_key", "api_secret", "passphrase")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$")


def credentials(settings: WorkerSettings, secrets_client: Any = None) -> Credentials | None:
    """The API credentials, or None when not configured (signed calls then fail with an auth error).

    With BITGET_SECRET_ARN they come from Secrets Manager (one GetSecretValue call); callers build them once.
    """
    if settings.bitget_secret_arn:
        return secret_credentials(settings.bitget_secret_arn, secrets_client)
    key = settings.bitget_api_key.get_secret_value()
    if not key:
        return None
    return Credentials(
        api_key=key,
        api_secret=settings.bitget_api_secret.get_secret_value(),
        passphrase=settings.bitget_api_passphrase.get_secret_value(),
    )


def secret_credentials(arn: str, secrets_client: Any = None) -> Credentials:
    """Credentials from the Secrets Manager secret `arn`, whose SecretString is JSON
    {"api_key": ..., "api_secret": ..., "passphrase": ...}. Errors name the secret and the problem, never
    its value."""
    where = f"Bitget secret {arn} (BITGET_SECRET_ARN)"
    if secrets_client is None:
        import boto3

        match = _SECRET_ARN.match(arn)
        region = match.group(1) if match else StoreSettings().aws_default_region
        secrets_client = boto3.client("secretsmanager", region_name=region)
    try:
        response = secrets_client.get_secret_value(SecretId=arn)
    except Exception as exc:  # botocore ClientError / connection errors: their text never holds the value
        error = getattr(exc, "response", None)
        error = error.get("Error", {}) if isinstance(error, dict) else {}
        reason = ": ".join(str(part) for part in (error.get("Code"), error.get("Message")) if part)
        raise ValueError(f"could not read the {where}: {reason or type(exc).__name__}") from None
    text = response.get("SecretString")
    if not isinstance(text, str):
        raise ValueError(f"the {where} has no SecretString; store JSON with keys {', '.join(_SECRET_FIELDS)}")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValueError(
            f"the {where} is not a JSON object; store JSON with keys {', '.join(_SECRET_FIELDS)}"
        ) from None
    bad = [name for name in _SECRET_FIELDS if not isinstance(data.get(name), str) or not data[name].strip()]
    if bad:
        raise ValueError(f"the {where} lacks non-empty string values for: {', '.join(bad)}")
    return Credentials(
        api_key=data["api_key"].strip(),
        api_secret=data["api_secret"].strip(),
        passphrase=data["passphrase"].strip(),
    )
