"""`/v1/members`, `/v1/operations/{id}`, health, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.routes.common import operation_out
from scfledger.api.schemas import MemberOut, OperationOut
from scfledger.db.projections import Member
from scfledger.exceptions import OperationNotFound
from scfledger.services.ledger import role_names

router = APIRouter(tags=["ledger"])
health = APIRouter(tags=["health"])


@router.get("/v1/members")
def members(gateway: GatewayDep, _actor: CurrentActor) -> list[MemberOut]:
    """Every consortium member (membership is public to members)."""
    with gateway.sessions() as session:
        rows = session.scalars(select(Member).order_by(Member.name, Member.address))
        return [
            MemberOut(address=m.address, name=m.name, roles=role_names(m.roles), status=m.status)
            for m in rows
        ]


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


@health.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
