"""Execution names: unique, sortable by start time, traceable to the request, valid for Step Functions.

`20250101T120000Z-<8 hex of the request hash>-<6 random hex>`: 32 characters of [0-9A-Za-z-], inside the rule
every part of the pipeline checks (common/execution_names.py: 80 of [A-Za-z0-9-_]). The same request twice in one
second still gets two names (the random part).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets

from lambda_functions.common.execution_names import EXECUTION_NAME
from lambda_functions.coordinator.validation import ExtractionRequest

NAME_PATTERN = re.compile(EXECUTION_NAME)  # the rule of common/execution_names.py


def request_digest(request: ExtractionRequest) -> str:
    fields = [request.symbols, request.start_ms, request.end_ms]
    fields += [request.include_plan_orders, request.include_simulation]
    canonical = json.dumps(fields, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def execution_name(request: ExtractionRequest, now: dt.datetime, random_hex: str | None = None) -> str:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{request_digest(request)}-{random_hex or secrets.token_hex(3)}"


def execution_name_from_arn(execution_arn: str) -> str | None:
    """The name inside a Step Functions execution ARN, standard or express; None when it is not one.

    Standard: `arn:aws:states:<region>:<account>:execution:<machine>:<name>`;
    express:  `arn:aws:states:<region>:<account>:express:<machine>:<name>:<run id>`.
    """
    parts = execution_arn.split(":")
    if (
        len(parts) < 8
        or parts[0] != "arn"
        or parts[2] != "states"
        or parts[5] not in ("execution", "express")
    ):
        return None
    if (parts[5] == "execution" and len(parts) != 8) or (parts[5] == "express" and len(parts) != 9):
        return None
    name = parts[7]
    return name if NAME_PATTERN.fullmatch(name) else None
