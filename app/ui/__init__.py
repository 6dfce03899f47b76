"""The web page (GET /ui) and the offline API docs (/docs, /redoc): docs/ui.md."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.ui.docs import install_docs
from app.ui.routes import HERE, router


def install_ui(app: FastAPI) -> None:
    """Add the page, its static files and the offline docs to `app` (built with docs_url=None, redoc_url=None)."""
    install_docs(app)  # first: its /ui/static/vendor mount must win over /ui/static
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.include_router(router)
