"""GET /, /health and /info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import RuntimeDep
from app.core.config import APP_DESCRIPTION, APP_NAME, APP_VERSION
from app.core.masking import mask_urls
from app.schemas.health import HealthResponse, InfoResponse, RootResponse

router = APIRouter(tags=["health"])


@router.get("/", response_model=RootResponse, summary="Basic information")
def root() -> dict[str, str]:
    """Name, version and where the documentation is."""
    return {
        "message": APP_NAME,
        "version": APP_VERSION,
        "description": APP_DESCRIPTION,
        "docs": "/docs",
        "redoc": "/redoc",
        "health": "/health",
    }


@router.get("/health", response_model=HealthResponse, summary="Liveness")
def health() -> dict[str, str]:
    """Answers while the service is up."""
    return {"status": "healthy", "service": APP_NAME, "version": APP_VERSION}


@router.get("/info", response_model=InfoResponse, summary="Modes in use and configuration (no secrets)")
def info(runtime: RuntimeDep) -> dict[str, Any]:
    """Modes in use and live checks (database, exchange, results store, the account with a signed request):
    `valid` only when all pass. URLs are shown with any password they carry masked."""
    configuration = dict(runtime.info.get("configuration", {}))
    account = runtime.info.get("account")
    if runtime.health is not None:
        report = runtime.health.run()
        account = report.pop("account", account)
        configuration |= report
    return mask_urls(
        {
            "application": {"name": APP_NAME, "version": APP_VERSION, "description": APP_DESCRIPTION},
            **runtime.info,
            "configuration": configuration,
            "account": account,
            "endpoints": {
                "orders": "/orders",
                "orders_list": "/orders/list",
                "symbols": "/symbols",
                "results": "/results/{key}",
                "health": "/health",
                "docs": "/docs",
                "redoc": "/redoc",
            },
        }
    )
