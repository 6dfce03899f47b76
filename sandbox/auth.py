"""Bitget's HMAC signature check (BITGET_API.md §1).

prehash = ACCESS-TIMESTAMP + METHOD + path + ("?" + raw query string as sent, if not empty) + body;
ACCESS-SIGN = base64(HMAC-SHA256(secret, prehash)). Checks run in this order, each with Bitget's code:
key header absent 40006 / empty 40001, unknown key 40037, passphrase empty 40011 / wrong 40012,
timestamp absent or not an integer 40005 / more than 30 s away from the server clock 40008 (the server's
clock, offset included: clock.py), signature empty 40003 / wrong 40009.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.errors import ApiError

TIMESTAMP_TOLERANCE_MS = 30_000


@dataclass(frozen=True)
class Credentials:
    api_key: str = "sandbox-key"
    api_secret: str = "sandbox-secret"  # noqa: S105 - the sandbox's published default, not a secret
    passphrase: str = "sandbox-pass"  # noqa: S105

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"Credentials(api_key={self.api_key!r}, api_secret=***, passphrase=***)"


def prehash(timestamp: str, method: str, path: str, query: str, body: str) -> str:
    return timestamp + method.upper() + path + (f"?{query}" if query else "") + body


def sign(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_key(headers: Mapping[str, str], credentials: Credentials) -> None:
    """The key checks (40006, 40001, 40037): they name the account, so account-mode gates can follow them."""
    key = headers.get("ACCESS-KEY")
    if key is None:
        raise ApiError("40006", "Invalid ACCESS_KEY")
    if not key:
        raise ApiError("40001", "ACCESS_KEY cannot be empty")
    if not hmac.compare_digest(key.encode(), credentials.api_key.encode()):
        raise ApiError("40037", "Apikey does not exist")


def check_signature(
    headers: Mapping[str, str],
    method: str,
    path: str,
    query: str,
    body: str,
    credentials: Credentials,
    now_ms: int,
) -> None:
    """Passphrase, timestamp (within 30 s of `now_ms`, the server clock) and signature, in Bitget's order."""
    passphrase = headers.get("ACCESS-PASSPHRASE") or ""
    if not passphrase:
        raise ApiError("40011", "ACCESS_PASSPHRASE cannot be empty")
    if not hmac.compare_digest(passphrase.encode(), credentials.passphrase.encode()):
        raise ApiError("40012", "apikey/password is incorrect")
    timestamp = headers.get("ACCESS-TIMESTAMP") or ""
    if not timestamp.isdigit():
        raise ApiError("40005", "Invalid ACCESS_TIMESTAMP")
    if abs(int(timestamp) - now_ms) > TIMESTAMP_TOLERANCE_MS:
        raise ApiError("40008", "Request timestamp expired")
    signature = headers.get("ACCESS-SIGN") or ""
    if not signature:
        raise ApiError("40003", "Signature cannot be empty")
    expected = sign(credentials.api_secret, prehash(timestamp, method, path, query, body))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise ApiError("40009", "sign signature error")
