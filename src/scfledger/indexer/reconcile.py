"""Compares the read model with the contracts' own view functions, member_row by member_row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3.contract import Contract

from scfledger.db.projections import FinancingRequest, Member, Piece, Proposal, Receivable
from scfledger.indexer.projector import MODES, PIECE_STATES, currency_text

MEMBER_STATUS = ("none", "active", "suspended")
PROPOSAL_STATUS = ("none", "pending", "executed", "cancelled")
RECEIVABLE_STATUS = ("none", "pending", "active", "rejected", "cancelled", "settled")
REQUEST_STATUS = (
    "none",
    "requested",
    "approved",
    "rejected",
    "withdrawn",
    "expired",
    "funded",
    "repaid",
    "settled",
    "recourse_claimed",
    "recourse_repaid",
)


@dataclass(frozen=True)
class Difference:
    kind: str
    key: str
    field: str
    indexed: Any
    on_chain: Any

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.key}: {self.field} indexed={self.indexed!r} chain={self.on_chain!r}"
        )


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _compare(kind: str, key: Any, pairs: dict[str, tuple[Any, Any]]) -> list[Difference]:
    return [
        Difference(kind, str(key), name, indexed, chain)
        for name, (indexed, chain) in pairs.items()
        if indexed != chain
    ]


def reconcile(
    session: Session, *, registry: Contract, token: Contract, financing: Contract, at_block: int
) -> list[Difference]:
    """Every difference between the projections and the chain at `at_block` (the block the
    index has reached); an empty list means the index is exactly what the chain says."""
    diffs: list[Difference] = []

    chain_members = registry.functions.memberCount().call(block_identifier=at_block)
    indexed_members = session.scalar(select(func.count()).select_from(Member)) or 0
    diffs += _compare("members", "count", {"count": (indexed_members, chain_members)})
    for index in range(chain_members):
        address = registry.functions.memberAt(index).call(block_identifier=at_block)
        m = registry.functions.getMember(address).call(block_identifier=at_block)
        member_row = session.get(Member, address)
        if member_row is None:
            diffs.append(Difference("member", address, "member_row", None, "present"))
            continue
        diffs += _compare(
            "member",
            address,
            {
                "name": (member_row.name, m[1]),
                "legal_id_hash": (member_row.legal_id_hash, _hex(m[2])),
                "kyc_hash": (member_row.kyc_hash, _hex(m[3])),
                "roles": (member_row.roles, m[4]),
                "status": (member_row.status, MEMBER_STATUS[m[5]]),
            },
        )

    diffs += _proposals(session, registry, at_block)

    slots = token.functions.receivableCount().call(block_identifier=at_block)
    diffs += _compare(
        "receivables",
        "count",
        {"count": (session.scalar(select(func.count()).select_from(Receivable)), slots)},
    )
    for slot in range(1, slots + 1):
        r = token.functions.getReceivable(slot).call(block_identifier=at_block)
        receivable_row = session.get(Receivable, slot)
        if receivable_row is None:
            diffs.append(Difference("receivable", str(slot), "receivable_row", None, "present"))
            continue
        diffs += _compare(
            "receivable",
            slot,
            {
                "debtor": (receivable_row.debtor, r[1]),
                "creditor": (receivable_row.creditor, r[2]),
                "face_amount": (receivable_row.face_amount, r[3]),
                "currency": (receivable_row.currency, currency_text(bytes(r[4]))),
                "issue_date": (receivable_row.issue_date, r[5]),
                "due_date": (receivable_row.due_date, r[6]),
                "document_hash": (receivable_row.document_hash, _hex(r[7])),
                "root_token_id": (receivable_row.root_token_id, r[8]),
                "settled_value": (receivable_row.settled_value, r[9]),
                "status": (receivable_row.status, RECEIVABLE_STATUS[r[10]]),
            },
        )

    tokens = token.functions.lastTokenId().call(block_identifier=at_block)
    diffs += _compare(
        "pieces",
        "count",
        {"count": (session.scalar(select(func.count()).select_from(Piece)), tokens)},
    )
    for token_id in range(1, tokens + 1):
        p = token.functions.getPiece(token_id).call(block_identifier=at_block)
        piece_row = session.get(Piece, token_id)
        if piece_row is None:
            diffs.append(Difference("piece", str(token_id), "piece_row", None, "present"))
            continue
        diffs += _compare(
            "piece",
            token_id,
            {
                "slot": (piece_row.slot, p[1]),
                "holder": (piece_row.holder, p[2]),
                "value": (piece_row.value, p[3]),
                "parent_token_id": (piece_row.parent_token_id or 0, p[4]),
                "depth": (piece_row.depth, p[5]),
                "state": (piece_row.state, PIECE_STATES[p[6]]),
            },
        )

    requests = financing.functions.requestCount().call(block_identifier=at_block)
    diffs += _compare(
        "financing_requests",
        "count",
        {"count": (session.scalar(select(func.count()).select_from(FinancingRequest)), requests)},
    )
    for request_id in range(1, requests + 1):
        f = financing.functions.getRequest(request_id).call(block_identifier=at_block)
        request_row = session.get(FinancingRequest, request_id)
        if request_row is None:
            diffs.append(
                Difference("financing_request", str(request_id), "request_row", None, "present")
            )
            continue
        diffs += _compare(
            "financing_request",
            request_id,
            {
                "token_id": (request_row.token_id, f[1]),
                "requester": (request_row.requester, f[2]),
                "financier": (request_row.financier, f[3]),
                "amount": (request_row.amount, f[4]),
                "rate_bps": (request_row.rate_bps, f[5]),
                "mode": (request_row.mode, MODES[f[6]]),
                "recourse": (request_row.recourse, f[7]),
                "status": (request_row.status, REQUEST_STATUS[f[8]]),
                "expires_at": (request_row.expires_at, f[10]),
                "payment_ref": (request_row.payment_ref or _hex(b"\0" * 32), _hex(f[12])),
            },
        )
    return diffs


def _proposals(session: Session, registry: Contract, at_block: int) -> list[Difference]:
    count = registry.functions.proposalCount().call(block_identifier=at_block)
    indexed = session.scalar(select(func.count()).select_from(Proposal)) or 0
    diffs = _compare("proposals", "count", {"count": (indexed, count)})
    for proposal_id in range(1, count + 1):
        p = registry.functions.getProposal(proposal_id).call(block_identifier=at_block)
        row = session.get(Proposal, proposal_id)
        if row is None:
            diffs.append(Difference("proposal", str(proposal_id), "proposal_row", None, "present"))
            continue
        diffs += _compare(
            "proposal",
            proposal_id,
            {
                "proposer": (row.proposer, p[1]),
                "target": (row.target, p[2]),
                "data": (row.data, _hex(p[3])),
                "status": (row.status, PROPOSAL_STATUS[p[4]]),
                "deadline": (row.deadline, p[6]),
                "approvals": (sorted(row.approvals), sorted(p[7])),
            },
        )
    return diffs
