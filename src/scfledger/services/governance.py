"""Governance use cases: membership changes as M-of-N proposals of the registry.

An admin proposes admitting an address with roles (see `participants` for its gateway
identity), and other admins approve; the approval that reaches the registry's threshold
executes the call. Every check the read model can make happens before a transaction is
spent; the registry checks everything again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from scfledger.chain.calls import ContractCall
from scfledger.db.projections import Member, Proposal
from scfledger.exceptions import (
    ActionForbidden,
    InvalidInput,
    RecordNotFound,
    WrongState,
)
from scfledger.outbox.operation import OperationView
from scfledger.services import identity
from scfledger.services.ledger import (
    ADMIN,
    AUDITOR,
    ROLE_NAMES,
    Actor,
    Idempotency,
    Ledger,
    bytes32,
    checked_address,
)

ROLE_BITS = {name: bit for bit, name in ROLE_NAMES.items()}
ProposalStatus = Literal["pending", "executed", "cancelled", "expired"]


def _governed(ledger: Ledger, function: str, args: Sequence[object]) -> ContractCall:
    """`registry.propose(registry, calldata of function(args))`."""
    registry = ledger.contracts.registry
    inner = ContractCall("ConsortiumRegistry", registry, function, tuple(args))
    return ContractCall("ConsortiumRegistry", registry, "propose", (registry, inner.calldata()))


def _submit(
    ledger: Ledger, actor: Actor, idempotency: Idempotency, call: ContractCall, kind: str
) -> OperationView:
    return ledger.pipeline.submit(
        participant=actor.participant,
        idempotency_key=idempotency.key,
        request_hash=idempotency.request_hash,
        call=call,
        kind=kind,
    )


def chain_now(w3: Web3) -> int:
    """The chain's clock (the latest block's timestamp): proposal deadlines are on it."""
    return int(w3.eth.get_block("latest")["timestamp"])


def _pending_about(session: Session, action: str, account: str, now: int) -> Proposal | None:
    for proposal in session.scalars(
        select(Proposal).where(Proposal.status == "pending", Proposal.action == action)
    ):
        if proposal.args.get("account") == account and proposal_status(proposal, now) == "pending":
            return proposal
    return None


def _refuse_duplicate(
    ledger: Ledger, session: Session, action: str, account: str, verb: str
) -> None:
    """A second proposal of the same change while one is open would fail on execution."""
    pending = _pending_about(session, action, account, chain_now(ledger.pipeline.w3))
    if pending is not None:
        raise WrongState(
            kind="member", key=account, state=f"already proposed in {pending.id}", action=verb
        )


def propose_admission(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    address: str,
    name: str,
    legal_id: str,
    kyc: str,
    roles: Sequence[str],
) -> OperationView:
    """Proposes admitting `address` with `roles` (the proposer's approval counts as one).
    Its legal id and KYC reference go on chain only as anchors salted with the member's own
    salt, which this gateway keeps (services.identity)."""
    actor.require(ADMIN, "propose admissions")
    account = checked_address(address)
    unknown = [r for r in roles if r not in ROLE_BITS]
    if unknown:
        raise InvalidInput(f"unknown roles {unknown}; known: {sorted(ROLE_BITS)}")
    with ledger.sessions.begin() as session:  # commits the member's salt, made here
        member = session.get(Member, account)
        if member is not None:
            raise WrongState(kind="member", key=account, state=member.status, action="admit")
        holder = identity.holder_of_legal_id(session, legal_id)
        if holder is not None:
            raise WrongState(
                kind="legal id", key="(given)", state=f"registered to {holder}", action="admit"
            )
        _refuse_duplicate(ledger, session, "admitMember", account, "admit")
        legal_id_hash, kyc_hash = identity.anchors(session, account, legal_id=legal_id, kyc=kyc)
    roles_bits = 0
    for role in roles:
        roles_bits |= ROLE_BITS[role]
    call = _governed(ledger, "admitMember", (account, name, legal_id_hash, kyc_hash, roles_bits))
    return _submit(ledger, actor, idempotency, call, "member.admit")


def _existing_member(session: Session, address: str) -> Member:
    account = checked_address(address)
    member = session.get(Member, account)
    if member is None:
        raise RecordNotFound(kind="member", key=account)
    return member


def propose_suspension(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, address: str, reason: str
) -> OperationView:
    """Proposes suspending an active member: its pieces freeze and it can no longer act."""
    actor.require(ADMIN, "propose suspensions")
    with ledger.sessions() as session:
        member = _existing_member(session, address)
        if member.status != "active":
            raise WrongState(
                kind="member", key=member.address, state=member.status, action="suspend"
            )
        _refuse_duplicate(ledger, session, "suspendMember", member.address, "suspend")
    call = _governed(ledger, "suspendMember", (member.address, bytes32(reason, "reason")))
    return _submit(ledger, actor, idempotency, call, "member.suspend")


def propose_reinstatement(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, address: str
) -> OperationView:
    """Proposes reinstating a suspended member."""
    actor.require(ADMIN, "propose reinstatements")
    with ledger.sessions() as session:
        member = _existing_member(session, address)
        if member.status != "suspended":
            raise WrongState(
                kind="member", key=member.address, state=member.status, action="reinstate"
            )
        _refuse_duplicate(ledger, session, "reinstateMember", member.address, "reinstate")
    call = _governed(ledger, "reinstateMember", (member.address,))
    return _submit(ledger, actor, idempotency, call, "member.reinstate")


# -- proposals -------------------------------------------------------------------------


def proposal_status(proposal: Proposal, now: int) -> ProposalStatus:
    """`pending`, `executed`, `cancelled`, or `expired` (pending past its deadline at chain
    time `now`)."""
    if proposal.status == "pending" and proposal.deadline < now:
        return "expired"
    return cast(ProposalStatus, proposal.status)


def _require_governance_reader(actor: Actor) -> None:
    if not actor.roles & (ADMIN | AUDITOR):
        raise ActionForbidden(
            actor=actor.participant, action="read proposals", reason="needs role admin or auditor"
        )


def list_proposals(
    session: Session, actor: Actor, status: ProposalStatus | None, now: int
) -> list[Proposal]:
    """Proposals, newest first (admins and auditors)."""
    _require_governance_reader(actor)
    rows = session.scalars(select(Proposal).order_by(Proposal.id.desc())).all()
    return [p for p in rows if status is None or proposal_status(p, now) == status]


def get_proposal(session: Session, actor: Actor, proposal_id: int) -> Proposal:
    _require_governance_reader(actor)
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise RecordNotFound(kind="proposal", key=proposal_id)
    return proposal


def _open_proposal(session: Session, actor: Actor, proposal_id: int, action: str) -> Proposal:
    """A proposal not yet executed or cancelled (the registry refuses an expired one)."""
    actor.require(ADMIN, f"{action} proposals")
    proposal = get_proposal(session, actor, proposal_id)
    if proposal.status != "pending":
        raise WrongState(kind="proposal", key=proposal_id, state=proposal.status, action=action)
    return proposal


def _registry_call(ledger: Ledger, function: str, proposal_id: int) -> ContractCall:
    return ContractCall("ConsortiumRegistry", ledger.contracts.registry, function, (proposal_id,))


def approve_proposal(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Approves a pending proposal; the approval that reaches the threshold executes it
    (and fails with the governed call's own error if that call cannot run)."""
    with ledger.sessions() as session:
        proposal = _open_proposal(session, actor, proposal_id, "approve")
        if actor.address in proposal.approvals:
            raise WrongState(
                kind="proposal", key=proposal_id, state="already approved by you", action="approve"
            )
    call = _registry_call(ledger, "approve", proposal_id)
    return _submit(ledger, actor, idempotency, call, "proposal.approve")


def revoke_approval(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Withdraws the caller's approval of a pending proposal."""
    with ledger.sessions() as session:
        proposal = _open_proposal(session, actor, proposal_id, "revoke approvals of")
        if actor.address not in proposal.approvals:
            raise WrongState(
                kind="proposal", key=proposal_id, state="not approved by you", action="revoke"
            )
    call = _registry_call(ledger, "revokeApproval", proposal_id)
    return _submit(ledger, actor, idempotency, call, "proposal.revoke")


def cancel_proposal(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Cancels a pending proposal (its proposer only)."""
    with ledger.sessions() as session:
        proposal = _open_proposal(session, actor, proposal_id, "cancel")
        if proposal.proposer != actor.address:
            raise ActionForbidden(
                actor=actor.participant,
                action="cancel proposals",
                reason="only the proposer may cancel a proposal",
            )
    call = _registry_call(ledger, "cancel", proposal_id)
    return _submit(ledger, actor, idempotency, call, "proposal.cancel")
