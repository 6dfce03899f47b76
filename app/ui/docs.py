"""/docs (Swagger UI) and /redoc served with assets from this service, so they work without internet.

The assets come from the pinned PyPI package fastapi-offline (Swagger UI 5 and ReDoc 2 bundles, MIT; Swagger
UI itself is Apache-2.0, ReDoc MIT), mounted at /ui/static/vendor. FastAPI's own pages would load them from a
CDN: the app is built with docs_url=None, redoc_url=None and these routes replace them. Nothing on either page
asks a host other than this service: no Google fonts, no online validator badge, a local favicon, and the
ReDoc bundle is served with its one remote URL (Redocly's logo in the sidebar, from their CDN) pointed at the
local favicon instead (tests/browser checks every request the pages make).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

VENDOR_URL = "/ui/static/vendor"
VENDOR_DIR = Path(str(files("fastapi_offline") / "static"))
REDOC_JS_URL = "/ui/vendor/redoc.standalone.js"
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def local_redoc_bundle() -> bytes:
    """ReDoc's bundle with its remote logo replaced by this service's favicon (the only remote URL it loads)."""
    bundle = (VENDOR_DIR / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_REMOTE_LOGO.encode(), f"{VENDOR_URL}/favicon.png".encode())


def install_docs(app: FastAPI) -> None:
    """Mount the assets and add GET /docs, its OAuth2 redirect page and GET /redoc."""
    app.mount(VENDOR_URL, StaticFiles(directory=VENDOR_DIR), name="ui-vendor")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    redoc_bundle = local_redoc_bundle()  # 1 MB, read once

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(
            redoc_bundle,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{VENDOR_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{VENDOR_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{VENDOR_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{redirect_url}",
            # validatorUrl null: no badge fetched from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{REDOC_JS_URL}",
            redoc_favicon_url=f"{root}{VENDOR_URL}/favicon.png",
            with_google_fonts=False,
        )
