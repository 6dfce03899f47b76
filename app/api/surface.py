"""What every client meets around the routes: the request-body limit (413), the JSON guard (NaN, Infinity:
422), bounded error answers, the OpenAPI page's description, and the log fields bound per request.
`create_app` installs it once."""

from __future__ import annotations

from fastapi import FastAPI

from app.api.body_limit import BodyLimitMiddleware
from app.api.errors import add_error_handlers
from app.api.json_guard import NonFiniteJsonMiddleware
from app.api.log_binding import LogBindingMiddleware
from app.api.openapi import describe_api
from app.core.config import Settings


def install_surface(app: FastAPI, settings: Settings) -> None:
    add_error_handlers(app)
    # The last middleware added runs first: the size limit before anything reads the body.
    app.add_middleware(NonFiniteJsonMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(
        LogBindingMiddleware
    )  # outermost: even a refused body's lines name the request's execution
    describe_api(app)
