"""The web console at / (console/dist, built by scripts/setup.sh): its index page for every
client-side route, its assets under /assets (no CDN: it works offline).

The console's own routes (`/`, `/inbox`, `/pieces/7`...) all answer index.html; a path
under a prefix the API owns (`/v1`, `/docs`, `/openapi.json`, `/healthz`...) never does,
whatever its method, so an unknown API path stays the API's 404 problem. Assets have hashed
names and are cached for a year; index.html is never cached, so a new build is seen at once.
When console/dist is missing (running from source before `make run` built it), every
console route answers a short page saying how to build it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

REPO_ROOT = Path(__file__).resolve().parents[3]
DIST_DIR = REPO_ROOT / "console" / "dist"
ASSETS_PATH = "/assets"
# First path segments that are never the console's: the API's (those of the OpenAPI
# document and of the app's routes are added when the first request arrives).
RESERVED = frozenset(
    {"v1", "docs", "openapi.json", "healthz", "readyz", "metrics", "auth", "assets"}
)

# Everything the page loads is the gateway's own: scripts and the API from this origin only.
# Styles allow inline ones: Ant Design and ECharts set them at run time.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ASSET_CACHE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scfledger console: not built</title></head>
<body>
<h1>The console is not built</h1>
<p>The gateway serves the web console from <code>console/dist</code>, which is missing.
Build it from the repository's root with <code>scripts/setup.sh</code> (or
<code>make run</code>, which does so), or by hand:
<code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>. The API is at
<a href="/docs">/docs</a>.</p>
<p lang="zh-CN">控制台尚未构建, 请在仓库根目录运行 <code>scripts/setup.sh</code>
(或 <code>make run</code>)。</p>
</body></html>
"""


class _Assets(StaticFiles):
    """The build's assets, cached for a year (their names change with their content); a
    missing build is a 404, not an error."""

    async def check_config(self) -> None:
        return None

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = ASSET_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class _ConsoleRoute(Route):
    """Matches a GET or HEAD of any path outside the prefixes of the app's other routes:
    it is the last route, so it sees only what no other route took."""

    def __init__(self, app: FastAPI, path: str, endpoint: Callable[[Request], Response]) -> None:
        super().__init__(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False)
        self._app = app
        self._reserved: frozenset[str] | None = None

    def _prefixes(self) -> frozenset[str]:
        if self._reserved is None:  # read once every route is in place
            paths = [*self._app.openapi().get("paths", {})]
            paths += [getattr(route, "path", "") for route in self._app.routes if route is not self]
            firsts = {path.lstrip("/").split("/", 1)[0] for path in paths}
            self._reserved = frozenset((firsts | RESERVED) - {""})
        return self._reserved

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        first = scope["path"].lstrip("/").split("/", 1)[0]
        if first in self._prefixes():
            return Match.NONE, {}
        return super().matches(scope)


def install(app: FastAPI, *, dist: Path | None = None) -> None:
    """GET / and every client-side route (index.html), and the assets under ASSETS_PATH,
    from `dist` (default DIST_DIR, read when the app is built). Call last: the catch-all
    route must come after every API route."""
    dist = DIST_DIR if dist is None else dist
    app.mount(ASSETS_PATH, _Assets(directory=dist / "assets", check_dir=False), name="console")

    def page(_request: Request) -> Response:
        index = dist / "index.html"
        try:
            html = index.read_text(encoding="utf-8")
        except FileNotFoundError:
            return HTMLResponse(NOT_BUILT, status_code=200, headers=PAGE_HEADERS)
        return HTMLResponse(html, headers=PAGE_HEADERS)

    app.router.routes.append(_ConsoleRoute(app, "/{path:path}", page))
