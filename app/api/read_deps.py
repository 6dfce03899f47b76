"""Dependencies of the hot read routes (pages, exports), declared `async` on purpose: FastAPI runs a plain
`def` dependency in its thread pool, one hop per dependency per request; these only look up objects the
lifespan built, so they run on the event loop and a page pays for one thread hop (its handler) only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.services.database import Database
from app.services.orders_service import OrdersService


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


async def get_orders(request: Request) -> OrdersService:
    orders: OrdersService = request.app.state.runtime.orders
    return orders


DatabaseDep = Annotated[Database, Depends(get_database)]
OrdersReadDep = Annotated[OrdersService, Depends(get_orders)]
