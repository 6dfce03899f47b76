"""GET /, /health and /info."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import RuntimeDep
from app.core.config import APP_DESCRIPTION, APP_NAME, APP_VERSION
from app.schemas.health import HealthResponse, InfoResponse, RootResponse

router = APIRouter(tags=["health"])


ENDPOINTS = {
    "orders": "/orders",
    "orders_list": "/orders/list",
    "symbols": "/symbols",
    "results": "/results/{key}",
    "health": "/health",
    "docs": "/docs",
    "redoc": "/redoc",
}


@router.get("/", response_model=RootResponse, summary="Basic information")
def root() -> RootResponse:
    """Name, version and where the documentation is."""
    return RootResponse(
        message=APP_NAME,
        version=APP_VERSION,
        description=APP_DESCRIPTION,
        docs="/docs",
        redoc="/redoc",
        health="/health",
    )


@router.get("/health", response_model=HealthResponse, summary="Liveness")
def health() -> HealthResponse:
    """Answers while the service is up."""
    return HealthResponse(status="healthy", service=APP_NAME, version=APP_VERSION)


@router.get("/info", response_model=InfoResponse, summary="Modes in use and configuration (no secrets)")
def info(runtime: RuntimeDep) -> InfoResponse:
    """Modes in use and live checks (database, exchange, results store, the account with a signed request):
    `valid` only when all pass. URLs are shown with any password they carry masked."""
    startup = runtime.info  # what start-up knew; the live checks are added to it here
    configuration = dict(startup.configuration)
    account = startup.account
    if runtime.health is not None:
        report = runtime.health.run()
        configuration |= {"valid": report.valid, "checks": report.checks, "problems": report.problems}
        account = report.account or account
    return InfoResponse(
        application={"name": APP_NAME, "version": APP_VERSION, "description": APP_DESCRIPTION},
        configuration=configuration,
        modes=startup.modes,
        exchange=startup.exchange,
        results_store=startup.results_store,
        database=startup.database,
        account=account,
        endpoints=ENDPOINTS,
    )
