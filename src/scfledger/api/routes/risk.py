"""`/v1/financing-requests/{id}/risk` and `/v1/policies`: a financier's risk view and rules."""

from __future__ import annotations

from fastapi import APIRouter

from scfledger.api.deps import Administrator, CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import IdPath
from scfledger.api.schemas import RiskOut, RiskReasonOut
from scfledger.api.schemas_policy import PolicyBody, PolicyOut, policy_of, policy_out
from scfledger.risk.view import risk_view
from scfledger.services import risk as services

router = APIRouter(tags=["risk"], route_class=GuardedRoute)


@router.get("/v1/financing-requests/{request_id}/risk")
def request_risk(request_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> RiskOut:
    """Indicators of a request and the decision of its financier's policy, with every reason,
    as of the last indexed block.

    Visible to the request's financier and to auditors only."""
    with gateway.sessions() as session:
        indicators, assessment = services.request_risk(session, gateway.clock, actor, request_id)
    return RiskOut(
        request_id=request_id,
        decision=assessment.decision,
        auto_decide=assessment.auto_decide,
        reasons=[
            RiskReasonOut(code=r.code, outcome=r.outcome, message=r.message)
            for r in assessment.reasons
        ],
        indicators=risk_view(indicators),
    )


@router.get("/v1/policies")
def read_policy(gateway: GatewayDep, actor: CurrentActor) -> PolicyOut:
    """The calling financier's risk policy (the default one until it sets its own)."""
    with gateway.sessions() as session:
        return policy_out(services.own_policy(session, actor), gateway.money)


@router.put("/v1/policies")
def write_policy(body: PolicyBody, gateway: GatewayDep, actor: Administrator) -> PolicyOut:
    """Replace the calling financier's risk policy (its admins). The amount limits are
    read in the currency of each request judged."""
    policy = services.replace_policy(gateway.sessions, actor, policy_of(body, gateway.money))
    return policy_out(policy, gateway.money)
