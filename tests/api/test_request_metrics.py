"""The API's request metrics (`api.request_metrics`): each request counted once by its
method, route template and status, its latency observed; a failure counted as a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from scfledger.api.request_metrics import RequestMetrics


def counted(registry: CollectorRegistry, method: str, route: str, status: str) -> float | None:
    labels = {"method": method, "route": route, "status": status}
    return registry.get_sample_value("scf_http_requests_total", labels)


def observed(registry: CollectorRegistry, method: str, route: str) -> float | None:
    labels = {"method": method, "route": route}
    return registry.get_sample_value("scf_http_request_seconds_count", labels)


def test_requests_are_counted_by_route_template_and_status() -> None:
    app = FastAPI()
    registry = CollectorRegistry()

    @app.post("/items/{item_id}", status_code=201)
    def create(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_middleware(RequestMetrics, registry=registry)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/items/1").status_code == 201
        assert client.post("/items/2").status_code == 201
        assert client.post("/items/x").status_code == 422
        assert client.get("/nowhere").status_code == 404
        assert client.get("/broken").status_code == 500
    assert counted(registry, "POST", "/items/{item_id}", "201") == 2
    assert counted(registry, "POST", "/items/{item_id}", "422") == 1
    assert counted(registry, "GET", "/nowhere", "404") is None
    assert counted(registry, "GET", "unmatched", "404") == 1
    assert counted(registry, "GET", "/broken", "500") == 1
    assert observed(registry, "POST", "/items/{item_id}") == 3
    assert observed(registry, "GET", "/broken") == 1


def test_a_lifespan_is_not_a_request() -> None:
    app = FastAPI()
    registry = CollectorRegistry()
    app.add_middleware(RequestMetrics, registry=registry)
    with TestClient(app):
        pass
    counts = [
        sample
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "scf_http_requests_total"
    ]
    assert counts == []
