"""`/v1/financing-requests/{id}/risk` and `/v1/policies`: a financier's risk view and rules."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import IdPath
from scfledger.chain.generated import Role
from scfledger.db.session import transaction
from scfledger.risk.policy import Policy, assess, get_policy, set_policy
from scfledger.services.visibility import risk_request

router = APIRouter(tags=["risk"], route_class=GuardedRoute)


@router.get("/v1/financing-requests/{request_id}/risk")
def request_risk(request_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> dict[str, Any]:
    """Indicators of a request and the decision of its financier's policy, with every reason.

    Visible to the request's financier and to auditors only."""
    now = int(gateway.w3.eth.get_block("latest")["timestamp"])
    with gateway.sessions() as session:
        risk_request(session, actor, request_id)
        # A financier judges on its own offer and policy, never on a competitor's.
        financier = None if actor.is_auditor else actor.address
        indicators, assessment = assess(session, request_id, now=now, financier=financier)
    return {
        "request_id": request_id,
        "decision": assessment.decision.value,
        "auto_decide": assessment.auto_decide,
        "reasons": [
            {"code": r.code.value, "outcome": r.outcome.value, "message": r.message}
            for r in assessment.reasons
        ],
        "indicators": asdict(indicators),
    }


@router.get("/v1/policies")
def read_policy(gateway: GatewayDep, actor: CurrentActor) -> Policy:
    """The calling financier's risk policy (the default one until it sets its own)."""
    actor.require(Role.FINANCIER, "read a risk policy")
    with gateway.sessions() as session:
        return get_policy(session, actor.address)


@router.put("/v1/policies")
def write_policy(policy: Policy, gateway: GatewayDep, actor: CurrentActor) -> Policy:
    """Replace the calling financier's risk policy."""
    actor.require(Role.FINANCIER, "set a risk policy")
    with transaction(gateway.sessions) as session:
        set_policy(session, actor.address, policy)
    return policy
