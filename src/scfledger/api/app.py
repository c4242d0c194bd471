"""The FastAPI application factory of the gateway."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from scfledger.api import console, errors, openapi
from scfledger.api.audit import AuditMiddleware
from scfledger.api.gateway import Gateway
from scfledger.api.request_metrics import RequestMetrics
from scfledger.api.routes import (
    audit,
    auth,
    batches,
    chain_time,
    currencies,
    drafts,
    events,
    financing,
    governance,
    misc,
    participants,
    pieces,
    pricing,
    receivables,
    risk,
    setoff,
    settlements,
    sso,
    statements,
    transactions,
    users,
)
from scfledger.api.routes.documents import router as documents_router
from scfledger.api.routes.webhooks import router as webhooks_router
from scfledger.indexer.metrics import IndexerCollector

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


# A request no route takes: matching it against every route builds them all.
_NO_ROUTE: dict[str, object] = {
    "type": "http", "method": "GET", "path": "/.ready-to-serve", "root_path": "",
    "query_string": b"", "headers": [],
}  # fmt: skip


def ready_to_serve(app: FastAPI) -> None:
    """Readies a built app for its first requests; call once, just before serving (the
    process's owner: `scf serve`, `scf up`, a benchmark).

    - Builds every route's request handling now: FastAPI builds an included router's
      routes (their parameters' validators) when the first request reaches it, about a
      second for this API, which that request would wait for.
    - Then moves what start-up allocated (modules, ABIs, pydantic and SQLAlchemy
      structures, the app) out of the garbage collector's generations, so a full
      collection scans only what requests allocate: otherwise every full collection walks
      a few hundred thousand long-lived objects and stalls every request in flight."""
    for route in app.router.routes:
        route.matches(dict(_NO_ROUTE))
    gc.collect()
    gc.freeze()


def build_app(*, lifespan: Lifespan | None = None) -> FastAPI:
    """The routes, the error handlers and the documentation (OpenAPI, Swagger UI), with no
    gateway behind them: `create_app` adds one; `python -m scfledger.api.openapi` prints the
    document of this app."""
    app = FastAPI(
        title="scfledger gateway",
        version="1",
        lifespan=lifespan,
        description=openapi.DESCRIPTION,
        responses=errors.PROBLEM_RESPONSES,
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    app.include_router(misc.health)
    app.include_router(misc.router)
    app.include_router(chain_time.router)
    app.include_router(currencies.router)
    app.include_router(governance.router)
    app.include_router(auth.router)
    app.include_router(auth.sessions_router)
    app.include_router(users.router)
    app.include_router(participants.router)
    app.include_router(receivables.router)
    app.include_router(pieces.router)
    app.include_router(financing.router)
    app.include_router(risk.router)
    app.include_router(pricing.router)
    app.include_router(settlements.router)
    app.include_router(settlements.escrow)
    app.include_router(setoff.router)
    app.include_router(batches.router)
    app.include_router(statements.router)
    app.include_router(transactions.router)
    app.include_router(events.router)
    app.include_router(drafts.router)
    app.include_router(documents_router)
    app.include_router(webhooks_router)
    app.include_router(audit.router)
    app.include_router(sso.router)
    console.install(app)  # last: its catch-all takes what no API route took
    return app


def create_app(gateway: Gateway, *, run_workers: bool = True) -> FastAPI:
    """The API over `gateway`; with `run_workers`, its pipeline and indexer loops run while
    the app is served."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_workers:
            gateway.start()
        try:
            yield
        finally:
            if run_workers:
                gateway.stop()

    app = build_app(lifespan=lifespan)
    app.state.gateway = gateway
    registry = CollectorRegistry()
    app.state.metrics = registry
    registry.register(IndexerCollector(gateway.indexer))
    failures = Counter("scf_audit_failures", "Audit records not written", registry=registry)
    app.add_middleware(AuditMiddleware, sessions=lambda: gateway.sessions, failures=failures)
    app.add_middleware(RequestMetrics, registry=registry)  # outermost: counts the audit's time
    return app
