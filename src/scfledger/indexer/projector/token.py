"""Handlers of the receivable token's events: receivables, pieces, transfers, evidence."""

from __future__ import annotations

from typing import Any

from scfledger.db.projections import Evidence, Piece, PieceTransfer, Receivable
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector.values import PIECE_STATES, ZERO_ADDRESS, currency_text
from scfledger.indexer.projector.writer import Handler, Writer


def _receivable_issued(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    currency = currency_text(bytes.fromhex(a["currency"][2:]))
    w.add(
        Receivable,
        slot=a["slot"],
        debtor=a["debtor"],
        creditor=a["creditor"],
        face_amount=a["faceAmount"],
        currency=currency,
        issue_date=a["issueDate"],
        due_date=a["dueDate"],
        document_hash=a["documentHash"],
        root_token_id=a["tokenId"],
        settled_value=0,
        netted_value=0,
        status="pending",
        issued_block=e.block_number,
    )
    w.add(
        Piece,
        token_id=a["tokenId"],
        slot=a["slot"],
        holder=a["creditor"],
        value=a["faceAmount"],
        parent_token_id=None,
        depth=0,
        state="pending",
        sender=None,
        created_block=e.block_number,
        updated_block=e.block_number,
    )


def _receivable_decided(status: str) -> Handler:
    """The creditor accepted or rejected, the debtor cancelled, or the receivable lapsed."""

    def apply(w: Writer, e: DecodedEvent) -> None:
        w.get(Receivable, e.args["slot"]).status = status
        piece = w.get(Piece, e.args["tokenId"])
        piece.state = status
        piece.updated_block = e.block_number

    return apply


def _transfer_row(
    e: DecodedEvent,
    kind: str,
    token_id: int,
    from_token_id: int | None,
    sender: str,
    receiver: str,
    value: int,
) -> dict[str, Any]:
    return {
        "tx_hash": e.tx_hash,
        "log_index": e.log_index,
        "block_number": e.block_number,
        "kind": kind,
        "token_id": token_id,
        "from_token_id": from_token_id,
        "sender": sender,
        "receiver": receiver,
        "value": value,
    }


def _piece_split(w: Writer, e: DecodedEvent) -> None:
    """Value moved into a new child: `Pending` at another member until it signs for it,
    `Active` when the holder split for itself."""
    a = e.args
    parent = w.get(Piece, a["parentTokenId"])
    parent.value -= a["value"]
    parent.updated_block = e.block_number
    sent = a["to"] != parent.holder
    w.add(
        Piece,
        token_id=a["childTokenId"],
        slot=a["slot"],
        holder=a["to"],
        value=a["value"],
        parent_token_id=a["parentTokenId"],
        depth=a["depth"],
        state="pending" if sent else "active",
        sender=parent.holder if sent else None,
        created_block=e.block_number,
        updated_block=e.block_number,
    )
    row = _transfer_row(
        e, "split", a["childTokenId"], a["parentTokenId"], parent.holder, a["to"], a["value"]
    )
    w.append(PieceTransfer, **row)


def _token_transfer(w: Writer, e: DecodedEvent) -> None:
    """A whole piece changing hands: sent (it turns `Pending`, PieceStateChanged follows),
    assigned by the financing module (factoring, recourse), or a sent piece going back to
    its sender on refusal or recall (`return`)."""
    a = e.args
    if ZERO_ADDRESS in (a["from"], a["to"]):
        return  # mints are projected from ReceivableIssued and PieceSplit
    piece = w.get(Piece, a["tokenId"])
    kind = "whole"
    if piece.state == "pending" and piece.sender == a["to"]:
        kind, piece.sender = "return", None
    elif piece.state == "active" and a["from"] != a["to"]:
        piece.sender = a["from"]  # a send: the receiver signs for it or refuses it
    piece.holder = a["to"]
    piece.updated_block = e.block_number
    row = _transfer_row(e, kind, a["tokenId"], None, a["from"], a["to"], piece.value)
    w.append(PieceTransfer, **row)


def _piece_accepted(w: Writer, e: DecodedEvent) -> None:
    piece = w.get(Piece, e.args["tokenId"])
    piece.state = "active"
    piece.sender = None
    piece.updated_block = e.block_number


def _piece_returned(w: Writer, e: DecodedEvent) -> None:
    """A sent piece refused by its receiver or recalled by its sender. Its value went back
    into the sender's piece `returnedTo` (the piece itself, already moved back by its
    Transfer, or its parent: the child stays as an empty tomb, rejected or cancelled)."""
    a = e.args
    piece = w.get(Piece, a["tokenId"])
    piece.sender = None
    piece.updated_block = e.block_number
    if a["returnedTo"] == a["tokenId"]:
        return
    parent = w.get(Piece, a["returnedTo"])
    parent.value += piece.value
    parent.updated_block = e.block_number
    row = _transfer_row(
        e, "return", a["returnedTo"], a["tokenId"], a["receiver"], a["sender"], piece.value
    )
    w.append(PieceTransfer, **row)
    piece.value = 0


def _piece_state_changed(w: Writer, e: DecodedEvent) -> None:
    piece = w.get(Piece, e.args["tokenId"])
    piece.state = PIECE_STATES[e.args["newState"]]
    piece.updated_block = e.block_number


def _evidence_attached(w: Writer, e: DecodedEvent) -> None:
    w.require(Piece, e.args["tokenId"])  # a piece the projection lacks: a fault too
    w.append(
        Evidence,
        token_id=e.args["tokenId"],
        evidence_hash=e.args["evidenceHash"],
        attached_by=e.args["by"],
        block_number=e.block_number,
    )


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ReceivableToken", "ReceivableIssued"): _receivable_issued,
    ("ReceivableToken", "ReceivableAccepted"): _receivable_decided("active"),
    ("ReceivableToken", "ReceivableRejected"): _receivable_decided("rejected"),
    ("ReceivableToken", "ReceivableCancelled"): _receivable_decided("cancelled"),
    ("ReceivableToken", "ReceivableExpired"): _receivable_decided("expired"),
    ("ReceivableToken", "PieceSplit"): _piece_split,
    ("ReceivableToken", "Transfer"): _token_transfer,
    ("ReceivableToken", "PieceAccepted"): _piece_accepted,
    ("ReceivableToken", "PieceRefused"): _piece_returned,
    ("ReceivableToken", "PieceRecalled"): _piece_returned,
    ("ReceivableToken", "PieceStateChanged"): _piece_state_changed,
    ("ReceivableToken", "EvidenceAttached"): _evidence_attached,
}
