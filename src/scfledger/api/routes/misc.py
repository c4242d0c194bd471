"""`/v1/members`, `/v1/operations/{id}`, health, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import operation_out
from scfledger.api.schemas import MemberOut, OperationOut
from scfledger.db.projections import Member
from scfledger.exceptions import OperationNotFound
from scfledger.services.ledger import role_names

router = APIRouter(tags=["ledger"], route_class=GuardedRoute)
health = APIRouter(tags=["health"], route_class=GuardedRoute)


@router.get("/v1/members", response_model=list[MemberOut])
def members(gateway: GatewayDep, _actor: CurrentActor) -> JSONResponse:
    """Every consortium member (membership is public to members)."""
    columns = (Member.address, Member.name, Member.roles, Member.status)
    with gateway.sessions() as session:
        rows = session.execute(select(*columns).order_by(Member.name, Member.address)).all()
    # Plain rows to JSON: thousands of members are served without building a model each.
    return JSONResponse(
        [
            {"address": address, "name": name, "roles": role_names(roles), "status": status}
            for address, name, roles, status in rows
        ]
    )


@router.get("/v1/operations/{operation_id}")
def operation(operation_id: str, gateway: GatewayDep, actor: CurrentActor) -> OperationOut:
    """One of the caller's own operations."""
    view = gateway.pipeline.get(operation_id)
    if view.participant != actor.participant:
        raise OperationNotFound(operation_id)
    return operation_out(gateway, view)


@health.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz")
def readyz(gateway: GatewayDep) -> JSONResponse:
    checks = gateway.checks()
    ready = all(bool(check["ok"]) for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@health.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
