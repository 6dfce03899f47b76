"""The service's runtime behind a TestClient, typed (Starlette types `TestClient.app` as any ASGI app)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.deps import Runtime


def runtime_of(client: TestClient) -> Runtime:
    """The Runtime the app's lifespan built (the client must have been entered)."""
    app = client.app
    assert isinstance(app, FastAPI)
    runtime: Runtime = app.state.runtime
    return runtime
