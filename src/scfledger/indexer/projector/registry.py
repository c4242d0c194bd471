"""Handlers of the consortium registry's events: members and governance proposals."""

from __future__ import annotations

from typing import Any

from scfledger.db.projections import Member, Proposal
from scfledger.indexer.decode import DecodedEvent, decode_call
from scfledger.indexer.projector.writer import Handler, Writer


def _member_admitted(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    w.add(
        Member,
        address=a["account"],
        name=a["name"],
        legal_id_hash=a["legalIdHash"],
        kyc_hash=a["kycHash"],
        roles=a["roles"],
        status="active",
        admitted_block=e.block_number,
        updated_block=e.block_number,
    )


def _member_update(**changes: Any) -> Handler:
    def apply(w: Writer, e: DecodedEvent) -> None:
        member = w.get(Member, e.args["account"])
        for column, source in changes.items():
            setattr(member, column, e.args.get(source, source))
        member.updated_block = e.block_number

    return apply


def _proposal_created(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    action, args = decode_call(a["data"])
    w.add(
        Proposal,
        id=a["proposalId"],
        proposer=a["proposer"],
        target=a["target"],
        data=a["data"],
        action=action,
        args=args,
        status="pending",
        approvals=[],
        deadline=a["deadline"],
        created_block=e.block_number,
        updated_block=e.block_number,
    )


def _proposal_approval(approved: bool) -> Handler:
    def apply(w: Writer, e: DecodedEvent) -> None:
        proposal = w.get(Proposal, e.args["proposalId"])
        others = [a for a in proposal.approvals if a != e.args["admin"]]
        proposal.approvals = [*others, e.args["admin"]] if approved else others
        proposal.updated_block = e.block_number

    return apply


def _proposal_status(status: str) -> Handler:
    def apply(w: Writer, e: DecodedEvent) -> None:
        proposal = w.get(Proposal, e.args["proposalId"])
        proposal.status = status
        proposal.updated_block = e.block_number

    return apply


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ConsortiumRegistry", "MemberAdmitted"): _member_admitted,
    ("ConsortiumRegistry", "MemberRolesChanged"): _member_update(roles="newRoles"),
    ("ConsortiumRegistry", "MemberSuspended"): _member_update(status="suspended"),
    ("ConsortiumRegistry", "MemberReinstated"): _member_update(status="active"),
    ("ConsortiumRegistry", "MemberKycUpdated"): _member_update(kyc_hash="kycHash"),
    ("ConsortiumRegistry", "ProposalCreated"): _proposal_created,
    ("ConsortiumRegistry", "ProposalApproved"): _proposal_approval(True),
    ("ConsortiumRegistry", "ProposalApprovalRevoked"): _proposal_approval(False),
    ("ConsortiumRegistry", "ProposalExecuted"): _proposal_status("executed"),
    ("ConsortiumRegistry", "ProposalCancelled"): _proposal_status("cancelled"),
}
