"""The gateway serves the console at / and its client-side routes, its assets with long
cache headers, and never shadows an API path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scfledger.api import console
from scfledger.api.app import build_app

INDEX = (
    '<!doctype html><html><head><script type="module" src="./assets/app-1a2b.js"></script>'
    '</head><body><div id="root"></div></body></html>'
)


def built_over(dist: Path) -> TestClient:
    """The gateway's app (its routes, no gateway behind them) serving the console from `dist`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(console, "DIST_DIR", dist)
        return TestClient(build_app(), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Over a console build as `npm run build` lays it out."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-1a2b.js").write_text("console.log('console')")
    with built_over(dist) as served:
        yield served


@pytest.mark.parametrize("path", ["/", "/inbox", "/pieces/7", "/drafts?status=pending", "/sign-in"])
def test_console_routes_answer_the_index_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "http" not in policy  # no external origin


def test_assets_are_served_with_long_cache_headers(client: TestClient) -> None:
    response = client.get("/assets/app-1a2b.js")
    assert response.status_code == 200
    assert response.text == "console.log('console')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/assets/missing.js").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing-here"),
        ("GET", "/v1"),
        ("POST", "/v1/nothing-here"),
        ("GET", "/docs/nothing-here"),
        ("GET", "/healthz/extra"),
        ("GET", "/metrics/extra"),
        ("DELETE", "/inbox"),
    ],
)
def test_api_paths_are_never_the_console(client: TestClient, method: str, path: str) -> None:
    """An unknown API path stays the API's 404 problem, whatever its method."""
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://scfledger.dev/problems/not-found"


def test_the_api_documents_are_still_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "scfledger gateway"
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert "/{path}" not in client.get("/openapi.json").json()["paths"]


def test_without_a_build_the_console_says_how_to_build_it(tmp_path: Path) -> None:
    with built_over(tmp_path / "absent") as client:
        for path in ("/", "/pieces/7"):
            response = client.get(path)
            assert response.status_code == 200
            assert "The console is not built" in response.text
            assert "scripts/setup.sh" in response.text
        assert client.get("/assets/app.js").status_code == 404
