"""Governance: admission and suspension of members as M-of-N proposals, and approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep, IdempotencyKey, require
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import (
    WRITE,
    IdPath,
    TimeoutQuery,
    WaitQuery,
    Write,
    write_context,
)
from scfledger.api.schemas import (
    AdmissionIn,
    ProposalOut,
    SuspensionIn,
)
from scfledger.services import governance as services
from scfledger.services.ledger import Actor

if TYPE_CHECKING:  # the row type of the response builder only
    from scfledger.db.projections import Proposal

router = APIRouter(tags=["governance"], route_class=GuardedRoute)


def governor(actor: CurrentActor) -> Actor:
    """A named admin of its institution (role `admin`, a credential with scope `write`):
    consortium governance (admission, suspension, their votes; new participants) is cast
    by people, each recorded as who did it. A maker of an admin member may not."""
    require(actor, scope="write", roles=("admin",), action="cast consortium governance votes")
    return actor


Governor = Annotated[Actor, Depends(governor)]


def governance_write(
    gateway: GatewayDep,
    actor: Governor,
    key: IdempotencyKey,
    wait: WaitQuery = "none",
    timeout: TimeoutQuery = 30.0,
) -> Write:
    """A write of the governance routes: as every write, by a governor."""
    return write_context(gateway, actor, key, wait, timeout)


GovernanceWrite = Annotated[Write, Depends(governance_write)]


def proposal_out(p: Proposal, now: int) -> ProposalOut:
    return ProposalOut(
        id=p.id,
        proposer=p.proposer,
        target=p.target,
        action=p.action,
        args=p.args,
        status=services.proposal_status(p, now),
        approvals=p.approvals,
        deadline=p.deadline,
        created_block=p.created_block,
        updated_block=p.updated_block,
    )


@router.post("/v1/members", status_code=202, responses=WRITE)
def admit_member(body: AdmissionIn, write: GovernanceWrite) -> JSONResponse:
    """Propose admitting a member with roles (admins); other admins approve the proposal."""
    return write.submit(
        services.propose_admission,
        address=body.address,
        name=body.name,
        legal_id=body.legal_id,
        kyc=body.kyc,
        roles=body.roles,
    )


@router.post("/v1/members/{address}/suspend", status_code=202, responses=WRITE)
def suspend_member(address: str, body: SuspensionIn, write: GovernanceWrite) -> JSONResponse:
    """Propose suspending an active member (admins): its pieces freeze."""
    return write.submit(services.propose_suspension, address=address, reason=body.reason)


@router.post("/v1/members/{address}/reinstate", status_code=202, responses=WRITE)
def reinstate_member(address: str, write: GovernanceWrite) -> JSONResponse:
    """Propose reinstating a suspended member (admins)."""
    return write.submit(services.propose_reinstatement, address=address)


@router.get("/v1/proposals")
def list_proposals(
    gateway: GatewayDep,
    actor: CurrentActor,
    status: Annotated[services.ProposalStatus | None, Query()] = None,
) -> list[ProposalOut]:
    """Governance proposals, newest first (admins and auditors)."""
    now = services.chain_now(gateway.w3)
    with gateway.sessions() as session:
        return [proposal_out(p, now) for p in services.list_proposals(session, actor, status, now)]


@router.get("/v1/proposals/{proposal_id}")
def get_proposal(proposal_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> ProposalOut:
    with gateway.sessions() as session:
        proposal = services.get_proposal(session, actor, proposal_id)
    return proposal_out(proposal, services.chain_now(gateway.w3))


@router.post("/v1/proposals/{proposal_id}/approve", status_code=202, responses=WRITE)
def approve_proposal(proposal_id: IdPath, write: GovernanceWrite) -> JSONResponse:
    """Approve a pending proposal (admins); the approval reaching the threshold executes it."""
    return write.submit(services.approve_proposal, proposal_id=proposal_id)


@router.post("/v1/proposals/{proposal_id}/revoke", status_code=202, responses=WRITE)
def revoke_approval(proposal_id: IdPath, write: GovernanceWrite) -> JSONResponse:
    """Withdraw your approval of a pending proposal."""
    return write.submit(services.revoke_approval, proposal_id=proposal_id)


@router.post("/v1/proposals/{proposal_id}/cancel", status_code=202, responses=WRITE)
def cancel_proposal(proposal_id: IdPath, write: GovernanceWrite) -> JSONResponse:
    """Cancel a pending proposal (its proposer)."""
    return write.submit(services.cancel_proposal, proposal_id=proposal_id)
