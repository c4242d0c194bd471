"""Compares the read model with the contracts' own view functions, row by row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from scfledger.chain.generated import (
    Consent,
    MemberStatus,
    ProposalStatus,
    ReceivableStatus,
    RequestStatus,
    RoundStatus,
)
from scfledger.db.projections import (
    EscrowBalance,
    FinancingOffer,
    FinancingRequest,
    Member,
    Piece,
    Proposal,
    Receivable,
    SetOffItem,
    SetOffParty,
    SetOffRound,
    Settlement,
)
from scfledger.indexer.projector import MODES, PIECE_STATES, ZERO_ADDRESS, currency_text

MEMBER_STATUS = MemberStatus.labels()
PROPOSAL_STATUS = ProposalStatus.labels()
RECEIVABLE_STATUS = ReceivableStatus.labels()
REQUEST_STATUS = RequestStatus.labels()
# The index keeps a round `proposed` past its deadline: the chain reads it `lapsed` (by time).
ROUND_STATUS = tuple("proposed" if s == "lapsed" else s for s in RoundStatus.labels())
CONSENT = Consent.labels()
OFFER_STATUS = ("invited", "made", "declined")  # the contract's None is a named, silent financier
TERMS = ("advance", "repayment", "fees", "fund_by")


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


def _address(value: str) -> str | None:
    return None if value == ZERO_ADDRESS else value


def _named(outputs: Any, values: Any) -> dict[str, Any]:
    return {
        o["name"]: _named(o["components"], v) if o["type"] == "tuple" else v
        for o, v in zip(outputs, values, strict=True)
    }


def _struct(call: ContractFunction, at_block: int) -> dict[str, Any]:
    """A view's struct result by field name (never by position: fields get added)."""
    value = call.call(block_identifier=at_block)
    output = call.abi["outputs"][0]
    return _named(output["components"], value)


def _terms(t: dict[str, Any]) -> dict[str, int]:
    """Chain terms as the read model names them."""
    return {
        "advance": t["advance"],
        "repayment": t["repayment"],
        "fees": t["fees"],
        "fund_by": t["fundBy"],
    }


def _compare(kind: str, key: Any, pairs: dict[str, tuple[Any, Any]]) -> list[Difference]:
    return [
        Difference(kind, str(key), name, indexed, chain)
        for name, (indexed, chain) in pairs.items()
        if indexed != chain
    ]


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def reconcile(
    session: Session,
    *,
    registry: Contract,
    token: Contract,
    financing: Contract,
    at_block: int,
    deposit_token: Contract | None = None,
    set_off: Contract | None = None,
) -> list[Difference]:
    """Every difference between the projections and the chain at `at_block` (the block the
    index has reached); an empty list means the index is exactly what the chain says.
    With `deposit_token`, escrow balances are compared too; with `set_off`, set-off rounds,
    their items and every party's answer."""
    diffs = _members(session, registry, at_block, deposit_token)
    diffs += _proposals(session, registry, at_block)
    diffs += _receivables(session, token, at_block)
    diffs += _pieces(session, token, at_block)
    diffs += _requests(session, financing, at_block)
    if set_off is not None:
        diffs += _rounds(session, set_off, at_block)
    return diffs


def _members(
    session: Session, registry: Contract, at_block: int, deposit_token: Contract | None
) -> list[Difference]:
    chain_members = registry.functions.memberCount().call(block_identifier=at_block)
    diffs = _compare("members", "count", {"count": (_count(session, Member), chain_members)})
    for index in range(chain_members):
        address = registry.functions.memberAt(index).call(block_identifier=at_block)
        m = _struct(registry.functions.getMember(address), at_block)
        row = session.get(Member, address)
        if row is None:
            diffs.append(Difference("member", address, "member_row", None, "present"))
            continue
        diffs += _compare(
            "member",
            address,
            {
                "name": (row.name, m["name"]),
                "legal_id_hash": (row.legal_id_hash, _hex(m["legalIdHash"])),
                "kyc_hash": (row.kyc_hash, _hex(m["kycHash"])),
                "roles": (row.roles, m["roles"]),
                "status": (row.status, MEMBER_STATUS[m["status"]]),
            },
        )
        if deposit_token is not None:
            escrow = session.get(EscrowBalance, address)
            held = deposit_token.functions.escrowOf(address).call(block_identifier=at_block)
            diffs += _compare("escrow", address, {"amount": (escrow.amount if escrow else 0, held)})
    return diffs


def _proposals(session: Session, registry: Contract, at_block: int) -> list[Difference]:
    count = registry.functions.proposalCount().call(block_identifier=at_block)
    diffs = _compare("proposals", "count", {"count": (_count(session, Proposal), count)})
    for proposal_id in range(1, count + 1):
        p = _struct(registry.functions.getProposal(proposal_id), at_block)
        row = session.get(Proposal, proposal_id)
        if row is None:
            diffs.append(Difference("proposal", str(proposal_id), "proposal_row", None, "present"))
            continue
        diffs += _compare(
            "proposal",
            proposal_id,
            {
                "proposer": (row.proposer, p["proposer"]),
                "target": (row.target, p["target"]),
                "data": (row.data, _hex(p["data"])),
                "status": (row.status, PROPOSAL_STATUS[p["status"]]),
                "deadline": (row.deadline, p["deadline"]),
                "approvals": (sorted(row.approvals), sorted(p["approvers"])),
            },
        )
    return diffs


def _receivables(session: Session, token: Contract, at_block: int) -> list[Difference]:
    slots = token.functions.receivableCount().call(block_identifier=at_block)
    diffs = _compare("receivables", "count", {"count": (_count(session, Receivable), slots)})
    for slot in range(1, slots + 1):
        r = _struct(token.functions.getReceivable(slot), at_block)
        row = session.get(Receivable, slot)
        if row is None:
            diffs.append(Difference("receivable", str(slot), "receivable_row", None, "present"))
            continue
        diffs += _compare(
            "receivable",
            slot,
            {
                "debtor": (row.debtor, r["debtor"]),
                "creditor": (row.creditor, r["creditor"]),
                "face_amount": (row.face_amount, r["faceAmount"]),
                "currency": (row.currency, currency_text(bytes(r["currency"]))),
                "issue_date": (row.issue_date, r["issueDate"]),
                "due_date": (row.due_date, r["dueDate"]),
                "document_hash": (row.document_hash, _hex(r["documentHash"])),
                "root_token_id": (row.root_token_id, r["rootTokenId"]),
                "settled_value": (row.settled_value, r["settledValue"]),
                "netted_value": (row.netted_value, r["nettedValue"]),
                "status": (row.status, RECEIVABLE_STATUS[r["status"]]),
            },
        )
    return diffs


def _pieces(session: Session, token: Contract, at_block: int) -> list[Difference]:
    tokens = token.functions.lastTokenId().call(block_identifier=at_block)
    diffs = _compare("pieces", "count", {"count": (_count(session, Piece), tokens)})
    for token_id in range(1, tokens + 1):
        p = _struct(token.functions.getPiece(token_id), at_block)
        row = session.get(Piece, token_id)
        if row is None:
            diffs.append(Difference("piece", str(token_id), "piece_row", None, "present"))
            continue
        state = PIECE_STATES[p["state"]]
        diffs += _compare(
            "piece",
            token_id,
            {
                "slot": (row.slot, p["slot"]),
                "holder": (row.holder, p["holder"]),
                "value": (row.value, p["value"]),
                "parent_token_id": (row.parent_token_id or 0, p["parentTokenId"]),
                "depth": (row.depth, p["depth"]),
                "state": (row.state, state),
                "sender": (row.sender, _address(p["sender"])),
            },
        )
        settlement = session.get(Settlement, token_id)
        if state != "awaiting_confirmation":
            if settlement is not None and settlement.status == "awaiting_confirmation":
                diffs.append(
                    Difference("settlement", str(token_id), "status", settlement.status, None)
                )
            continue
        s = _struct(token.functions.settlementOf(token_id), at_block)
        if settlement is None:
            diffs.append(Difference("settlement", str(token_id), "row", None, "present"))
            continue
        diffs += _compare(
            "settlement",
            token_id,
            {
                "status": (settlement.status, "awaiting_confirmation"),
                "payee": (settlement.payee, s["payee"]),
                "payment_ref": (settlement.payment_ref, _hex(s["paymentRef"])),
                "confirm_by": (settlement.confirm_by, s["confirmBy"]),
            },
        )
    return diffs


def _requests(session: Session, financing: Contract, at_block: int) -> list[Difference]:
    count = financing.functions.requestCount().call(block_identifier=at_block)
    diffs = _compare(
        "financing_requests", "count", {"count": (_count(session, FinancingRequest), count)}
    )
    for request_id in range(1, count + 1):
        f = _struct(financing.functions.getRequest(request_id), at_block)
        row = session.get(FinancingRequest, request_id)
        if row is None:
            diffs.append(
                Difference("financing_request", str(request_id), "request_row", None, "present")
            )
            continue
        asked, agreed = _terms(f["asked"]), _terms(f["agreed"])
        pairs = {
            "token_id": (row.token_id, f["tokenId"]),
            "requester": (row.requester, f["requester"]),
            "financier": (row.financier, _address(f["financier"])),
            "mode": (row.mode, MODES[f["mode"]]),
            "recourse": (row.recourse, f["recourse"]),
            "status": (row.status, REQUEST_STATUS[f["status"]]),
            "expires_at": (row.expires_at, f["expiresAt"]),
            "payment_ref": (row.payment_ref or _hex(b"\0" * 32), _hex(f["paymentRef"])),
        }
        for name in TERMS:
            pairs[f"asked_{name}"] = (getattr(row, f"asked_{name}"), asked[name])
            pairs[name] = (getattr(row, name) or 0, agreed[name])
        diffs += _compare("financing_request", request_id, pairs)
        diffs += _offers(session, financing, request_id, f["financiers"], at_block)
    return diffs


def _offers(
    session: Session, financing: Contract, request_id: int, financiers: list[str], at_block: int
) -> list[Difference]:
    rows = {
        o.financier: o
        for o in session.scalars(
            select(FinancingOffer).where(FinancingOffer.request_id == request_id)
        )
    }
    diffs = _compare(
        "financing_offers", request_id, {"financiers": (sorted(rows), sorted(financiers))}
    )
    for financier in financiers:
        row = rows.get(financier)
        if row is None:
            continue  # counted above
        o = _struct(financing.functions.getOffer(request_id, financier), at_block)
        pairs: dict[str, tuple[Any, Any]] = {"status": (row.status, OFFER_STATUS[o["status"]])}
        terms = _terms(o["terms"])
        for name in TERMS:
            pairs[name] = (getattr(row, name) or 0, terms[name])
        diffs += _compare("financing_offer", f"{request_id}/{financier}", pairs)
    return diffs


def _rounds(session: Session, set_off: Contract, at_block: int) -> list[Difference]:
    count = set_off.functions.roundCount().call(block_identifier=at_block)
    diffs = _compare("setoff_rounds", "count", {"count": (_count(session, SetOffRound), count)})
    for round_id in range(1, count + 1):
        r = _struct(set_off.functions.getRound(round_id), at_block)
        row = session.get(SetOffRound, round_id)
        if row is None:
            diffs.append(Difference("setoff_round", str(round_id), "round_row", None, "present"))
            continue
        executed = r["status"] == RoundStatus.EXECUTED
        items = _round_items(session, set_off, round_id, executed, at_block)
        answers = _round_answers(session, set_off, round_id, at_block)
        table: list[tuple[str, str, Any, Any]] = [  # (kind, field, indexed, chain)
            ("setoff_round", "proposer", row.proposer, r["proposer"]),
            ("setoff_round", "deadline", row.deadline, r["deadline"]),
            ("setoff_round", "status", row.status, ROUND_STATUS[r["status"]]),
            ("setoff_round", "item_count", row.item_count, r["itemCount"]),
            ("setoff_round", "party_count", row.party_count, r["partyCount"]),
            ("setoff_round", "consents", row.consents, r["consentCount"]),
            ("setoff_items", "items", *items),
            ("setoff_parties", "answers", *answers),
        ]
        diffs += [
            Difference(kind, str(round_id), field, indexed, chain)
            for kind, field, indexed, chain in table
            if indexed != chain
        ]
    return diffs


Pair = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _round_items(
    session: Session, set_off: Contract, round_id: int, executed: bool, at_block: int
) -> Pair:
    """A round's items (piece, amount, holder, remaining value), indexed and on chain: an
    item's piece keeps its planned value minus the amount once the round executed."""
    call = set_off.functions.itemsOf(round_id)
    fields = call.abi["outputs"][0]["components"]
    planned = [_named(fields, i) for i in call.call(block_identifier=at_block)]
    on_chain = [
        (i["tokenId"], i["amount"], i["holder"], i["value"] - i["amount"] if executed else None)
        for i in planned
    ]
    rows = session.scalars(
        select(SetOffItem).where(SetOffItem.round_id == round_id).order_by(SetOffItem.token_id)
    )
    return [(i.token_id, i.amount, i.holder, i.remaining) for i in rows], on_chain


def _round_answers(session: Session, set_off: Contract, round_id: int, at_block: int) -> Pair:
    """Every party's answer to a round, indexed and on chain, by party."""
    parties, answers = set_off.functions.partiesOf(round_id).call(block_identifier=at_block)
    rows = session.scalars(select(SetOffParty).where(SetOffParty.round_id == round_id))
    return (
        sorted((p.party, p.answer) for p in rows),
        sorted((p, CONSENT[a]) for p, a in zip(parties, answers, strict=True)),
    )
