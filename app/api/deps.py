"""FastAPI dependencies: the objects built once in the lifespan, handed to handlers as typed parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.schemas.health import StartupInfo
from app.services.database import Database
from app.services.exchange_clock import ExchangeClock
from app.services.execution_control import ExecutionControl
from app.services.health_service import HealthChecks
from app.services.orders_service import OrdersService
from app.services.periodic import PeriodicTask
from app.services.symbols_service import SymbolsService
from lambda_functions.common.results_store import ResultsStore


@dataclass
class Runtime:
    """What the lifespan builds: one of each, shared by every request."""

    settings: Settings
    store: ResultsStore
    db: Database
    orders: OrdersService
    symbols: SymbolsService
    exchange_base_url: str
    info: StartupInfo  # the modes in use, for GET /info
    health: HealthChecks | None = None  # the live checks of GET /info
    tasks: dict[str, PeriodicTask] = field(default_factory=dict)  # background tasks: "watcher", "retention"
    control: ExecutionControl | None = None  # cancel / resume (built from `orders` when not given)
    _exchange_clock: ExchangeClock | None = None

    def exchange_clock(self) -> ExchangeClock:
        """Bitget's clock (the exchange this service reads), built on first use."""
        if self._exchange_clock is None:
            self._exchange_clock = ExchangeClock(self.exchange_base_url)
        return self._exchange_clock


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_orders_service(runtime: RuntimeDep) -> OrdersService:
    return runtime.orders


def get_execution_control(runtime: RuntimeDep) -> ExecutionControl:
    if runtime.control is None:
        runtime.control = ExecutionControl(runtime.orders)
    return runtime.control


def get_symbols_service(runtime: RuntimeDep) -> SymbolsService:
    return runtime.symbols


def get_results_store(runtime: RuntimeDep) -> ResultsStore:
    return runtime.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
OrdersServiceDep = Annotated[OrdersService, Depends(get_orders_service)]
ExecutionControlDep = Annotated[ExecutionControl, Depends(get_execution_control)]
SymbolsServiceDep = Annotated[SymbolsService, Depends(get_symbols_service)]
ResultsStoreDep = Annotated[ResultsStore, Depends(get_results_store)]
