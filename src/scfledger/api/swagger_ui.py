"""Swagger UI at /docs with its assets served by the gateway (no CDN: it works offline).

The assets are those of the npm package `swagger-ui-dist` (pinned in package.json and
installed by scripts/setup.sh); Swagger UI 5 reads OpenAPI 3.1, which FastAPI writes.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

REPO_ROOT = Path(__file__).resolve().parents[3]
ASSETS_DIR = REPO_ROOT / "node_modules" / "swagger-ui-dist"
ASSETS_PATH = "/docs/assets"
# What /docs loads: nothing else of the package is served.
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


class _Assets(StaticFiles):
    """StaticFiles limited to ASSETS (the package also holds an index page and source maps)."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in ASSETS:
            return "", None
        return super().lookup_path(path)


def install(app: FastAPI, *, assets: Path = ASSETS_DIR) -> None:
    """GET /docs, and the assets it loads under ASSETS_PATH."""
    app.mount(ASSETS_PATH, _Assets(directory=assets, check_dir=False), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )
