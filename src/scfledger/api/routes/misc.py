"""`/v1/members`, `/v1/operations/{id}`, health, readiness and metrics.

`/metrics` is for the operator's scraper, not for participants (request counts and
latencies of every route are everyone's traffic): it answers only the bearer token set as
`SCF_METRICS_TOKEN`, and 401 to anything else, or to everyone while no token is set.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scfledger.api.deps import CurrentActor, GatewayDep, gateway_of
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import operation_out
from scfledger.api.schemas import HealthOut, MemberOut, OperationOut, ReadinessOut
from scfledger.exceptions import AuthenticationRequired, OperationNotFound
from scfledger.services import participants

router = APIRouter(tags=["ledger"], route_class=GuardedRoute)
health = APIRouter(tags=["health"], route_class=GuardedRoute)


@router.get("/v1/members", response_model=list[MemberOut])
def members(gateway: GatewayDep, actor: CurrentActor) -> JSONResponse:
    """Every consortium member (membership is public to members, suspended ones included;
    a participant not admitted gets 403)."""
    with gateway.sessions() as session:
        return JSONResponse(participants.members(session=session, actor=actor))


@router.get("/v1/operations/{operation_id}")
def operation(operation_id: str, gateway: GatewayDep, actor: CurrentActor) -> OperationOut:
    """One of the caller's own operations."""
    view = gateway.pipeline.get(operation_id)
    if view.participant != actor.participant:
        raise OperationNotFound(operation_id)
    return operation_out(gateway, view)


# Readiness checks run in threads of their own: they answer while every worker thread of
# the request pool is busy (a load balancer must not take a busy gateway for a dead one).
_READINESS_THREADS = anyio.CapacityLimiter(2)


@health.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """The process serves (on the event loop: no worker thread needed)."""
    return {"status": "ok"}


@health.get("/readyz", response_model=ReadinessOut, responses={503: {"model": ReadinessOut}})
async def readyz(request: Request) -> JSONResponse:
    """`ready` (200); `degraded` (200: serving, but the indexer recorded events it could
    not project, so some reads lack them); `not-ready` (503: database or chain down, or
    the index too far behind)."""
    gateway = gateway_of(request)
    checks = await anyio.to_thread.run_sync(gateway.checks, limiter=_READINESS_THREADS)
    ready = all(bool(check["ok"]) for check in checks.values())
    faults = checks["indexer"].get("faults", 0)
    status = "not-ready" if not ready else "degraded" if faults else "ready"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)


@health.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(
    request: Request,
    gateway: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Prometheus metrics, for `Authorization: Bearer <SCF_METRICS_TOKEN>` only."""
    token = gateway.settings.metrics_token
    if token is None:
        raise AuthenticationRequired("metrics are off: the operator sets SCF_METRICS_TOKEN")
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise AuthenticationRequired("send Authorization: Bearer <metrics token>")
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
