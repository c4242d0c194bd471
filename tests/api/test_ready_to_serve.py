"""`ready_to_serve`: an app's routes are built before its first request, not by it."""

from __future__ import annotations

import gc

import pytest
from fastapi.routing import _IncludedRouter
from starlette.testclient import TestClient

from scfledger.api.app import build_app, ready_to_serve


def test_routes_are_built_before_the_first_request(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app()
    included = [r for r in app.router.routes if isinstance(r, _IncludedRouter)]
    assert len(included) > 20  # every router of the API: the warm-up reaches them all
    ready_to_serve(app)
    try:
        assert gc.get_freeze_count() > 0
        built: list[object] = []
        build = _IncludedRouter._build_effective_context

        def counted(self: _IncludedRouter, route: object) -> object:
            built.append(route)
            return build(self, route)  # type: ignore[arg-type]

        monkeypatch.setattr(_IncludedRouter, "_build_effective_context", counted)
        with TestClient(app) as client:
            # Matched against every route: none is built on the way.
            assert client.get("/v1/no-such-thing").status_code == 404
            assert client.get("/healthz").status_code == 200
        assert built == []
    finally:
        gc.unfreeze()
