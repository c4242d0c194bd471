"""Governance use cases: membership changes as M-of-N proposals of the registry.

An admin proposes admitting an address with roles (see `participants` for its gateway
identity), and other admins approve; the approval that reaches the registry's threshold
executes the call. The registry decides who may propose, approve, revoke or cancel and in
which status (services.ledger). It checks the governed call only when the approval that
executes it comes, so a proposal bound to fail then (the member exists, is not active, is
being changed already) is refused here at once; the registry is asked first whether the
caller may propose at all (a view call), so that a caller who may not learns that, with
the registry's own error, and leaves nothing behind (no member salt, no operation).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal, cast

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.types import TxParams

from scfledger.chain.calls import ContractCall
from scfledger.chain.generated import Role
from scfledger.chain.reverts import call_decoding_reverts
from scfledger.db.projections import Member, Proposal
from scfledger.exceptions import (
    ActionForbidden,
    ContractRevert,
    InvalidInput,
    RecordNotFound,
    UnknownRevert,
    WrongState,
)
from scfledger.outbox.operation import OperationView
from scfledger.services import identity
from scfledger.services.ledger import (
    Actor,
    Idempotency,
    Ledger,
    bytes32,
    checked_address,
    submit,
)

log = logging.getLogger(__name__)
ROLE_BITS = {role.name.lower(): role for role in Role if role.bit_count() == 1}
ProposalStatus = Literal["pending", "executed", "cancelled", "expired"]


def _governed(ledger: Ledger, function: str, args: Sequence[object]) -> ContractCall:
    """`registry.propose(registry, calldata of function(args))`."""
    registry = ledger.contracts.registry
    inner = ContractCall("ConsortiumRegistry", registry, function, tuple(args))
    return ContractCall("ConsortiumRegistry", registry, "propose", (registry, inner.calldata()))


def _require_admin(ledger: Ledger, actor: Actor) -> None:
    """The registry's answer to whether the actor may govern (propose, approve, revoke,
    cancel): its `requireRole` view reverts with NotActiveMember or MissingRole, raised
    here as that ContractRevert."""
    registry = ledger.contracts.registry
    check = ContractCall(
        "ConsortiumRegistry", registry, "requireRole", (actor.address, int(Role.ADMIN))
    )
    w3 = ledger.pipeline.w3
    call: TxParams = {"to": to_checksum_address(registry), "data": check.calldata()}
    try:
        call_decoding_reverts(lambda: w3.eth.call(call), "ConsortiumRegistry")
    except (ContractRevert, UnknownRevert):
        raise
    except Exception:  # the node is away: the pipeline queues the proposal, the registry decides
        log.warning("could not ask the registry whether %s may propose", actor.participant)


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
    account = checked_address(address)
    unknown = [r for r in roles if r not in ROLE_BITS]
    if unknown:
        raise InvalidInput(f"unknown roles {unknown}; known: {sorted(ROLE_BITS)}")
    _require_admin(ledger, actor)
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
    return submit(ledger, actor, idempotency, call, "member.admit")


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
    _require_admin(ledger, actor)
    with ledger.sessions() as session:
        member = _existing_member(session, address)
        if member.status != "active":
            raise WrongState(
                kind="member", key=member.address, state=member.status, action="suspend"
            )
        _refuse_duplicate(ledger, session, "suspendMember", member.address, "suspend")
    call = _governed(ledger, "suspendMember", (member.address, bytes32(reason, "reason")))
    return submit(ledger, actor, idempotency, call, "member.suspend")


def propose_reinstatement(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, address: str
) -> OperationView:
    """Proposes reinstating a suspended member."""
    _require_admin(ledger, actor)
    with ledger.sessions() as session:
        member = _existing_member(session, address)
        if member.status != "suspended":
            raise WrongState(
                kind="member", key=member.address, state=member.status, action="reinstate"
            )
        _refuse_duplicate(ledger, session, "reinstateMember", member.address, "reinstate")
    call = _governed(ledger, "reinstateMember", (member.address,))
    return submit(ledger, actor, idempotency, call, "member.reinstate")


# -- proposals -------------------------------------------------------------------------


def proposal_status(proposal: Proposal, now: int) -> ProposalStatus:
    """`pending`, `executed`, `cancelled`, or `expired` (pending past its deadline at chain
    time `now`)."""
    if proposal.status == "pending" and proposal.deadline < now:
        return "expired"
    return cast(ProposalStatus, proposal.status)


def _require_governance_reader(actor: Actor) -> None:
    if not actor.roles & (Role.ADMIN | Role.AUDITOR):
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


def _on_proposal(
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    proposal_id: int,
    function: str,
    kind: str,
) -> OperationView:
    """A call about a proposal by a caller the registry lets act on proposals (asked first,
    as for proposing), on a proposal it knows; the registry decides the rest (pending, not
    expired, approved or not, the proposer)."""
    _require_admin(ledger, actor)
    with ledger.sessions() as session:
        get_proposal(session, actor, proposal_id)
    call = ContractCall("ConsortiumRegistry", ledger.contracts.registry, function, (proposal_id,))
    return submit(ledger, actor, idempotency, call, kind)


def approve_proposal(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Approves a pending proposal; the approval that reaches the threshold executes it
    (and fails with the governed call's own error if that call cannot run)."""
    return _on_proposal(ledger, actor, idempotency, proposal_id, "approve", "proposal.approve")


def revoke_approval(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Withdraws the caller's approval of a pending proposal."""
    return _on_proposal(
        ledger, actor, idempotency, proposal_id, "revokeApproval", "proposal.revoke"
    )


def cancel_proposal(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, proposal_id: int
) -> OperationView:
    """Cancels a pending proposal (its proposer only)."""
    return _on_proposal(ledger, actor, idempotency, proposal_id, "cancel", "proposal.cancel")
