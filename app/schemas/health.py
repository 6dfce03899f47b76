"""Response models of GET /, /health and /info."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from app.core.masking import mask_urls


class RootResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message": "Bitget Orders API",
                    "version": "1.0.0",
                    "description": "Extracts the complete order history of a Bitget account into a database "
                    "you can query",
                    "docs": "/docs",
                    "redoc": "/redoc",
                    "health": "/health",
                }
            ]
        }
    )

    message: str
    version: str
    description: str
    docs: str
    redoc: str
    health: str


class HealthResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "healthy", "service": "Bitget Orders API", "version": "1.0.0"}]
        }
    )

    status: str
    service: str
    version: str


@dataclass(frozen=True)
class StartupInfo:
    """What start-up knows for GET /info (the modes, the non-secret settings); the route adds the live checks."""

    configuration: dict[str, Any]  # `valid`, `checks` and `problems` are added live
    modes: dict[str, Any]
    exchange: dict[str, Any]
    results_store: dict[str, Any]
    database: dict[str, Any]
    account: dict[str, Any]  # not checked yet: replaced by the live check when this process can sign


class InfoResponse(BaseModel):
    """Modes in use, the exchange base URL, and `configuration.valid`: true only when the configuration loaded and
    every live check passed (`checks`: database SELECT 1, exchange server time, results store write/read, and
    `account`: one signed request to Bitget's account info); `problems` names each failed check. `account` is
    that check's outcome: `ok` with the account's `account_id` (Bitget's userId), or `rejected` / `unverified`
    with the `problem`, Bitget's `code` and `bitget_message`. Never a secret."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application": {
                        "name": "Bitget Orders API",
                        "version": "1.0.0",
                        "description": "Extracts the complete order history of a Bitget account into a "
                        "database you can query",
                    },
                    "configuration": {
                        "valid": True,
                        "checks": {
                            "configuration": True,
                            "database": True,
                            "results_store": True,
                            "exchange": True,
                            "account": True,
                        },
                        "problems": [],
                        "aws_region": "us-east-2",
                        "mysql_host": None,
                        "mysql_port": 3306,
                        "mysql_database": "bitget_orders",
                        "log_level": "INFO",
                        "include_plan_orders": True,
                        "include_simulation": False,
                        "account_precheck": True,
                    },
                    "modes": {
                        "orchestration": "embedded",
                        "results_store": "local",
                        "database": "sqlite",
                        "exchange": "sandbox",
                    },
                    "exchange": {
                        "mode": "sandbox",
                        "base_url": "http://127.0.0.1:8900",
                        "credentials_configured": False,
                        "warning": "SANDBOX exchange: synthetic demo orders, not your Bitget account",
                    },
                    "results_store": {
                        "kind": "local",
                        "prefix": "bitget-results/",
                        "bucket": None,
                        "directory": "/srv/bitget-orders/data/results",
                        "base_url": "http://127.0.0.1:8000/results",
                    },
                    "database": {
                        "backend": "mysql",
                        "url": "mysql+pymysql://bitget:***@db.internal:3306/bitget_orders?charset=utf8mb4",
                        "source": "MYSQL_*",
                    },
                    "account": {
                        "status": "ok",
                        "message": "Bitget accepted the API key (account 6281043197)",
                        "account_id": "6281043197",
                        "clock_offset_ms": 3,
                        "checked_at_ms": 1795486679410,
                    },
                    "endpoints": {"orders": "/orders", "symbols": "/symbols", "health": "/health"},
                }
            ]
        }
    )

    application: dict[str, Any]
    configuration: dict[str, Any]
    modes: dict[str, Any]
    exchange: dict[str, Any]
    results_store: dict[str, Any]
    database: dict[str, Any]
    account: dict[str, Any] | None = None
    endpoints: dict[str, str]

    @field_validator("*", mode="before")
    @classmethod
    def _no_password(cls, value: Any) -> Any:
        """Whichever part carries a URL (the database's, a proxy's...), its password never reaches /info."""
        return mask_urls(value)
