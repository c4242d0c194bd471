"""Handlers of the financing module's events: requests, offers and their history."""

from __future__ import annotations

from typing import Any

from scfledger.db.projections import FinancingHistory, FinancingOffer, FinancingRequest, Piece
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector.values import MODES
from scfledger.indexer.projector.writer import Handler, Writer


def _history(
    w: Writer,
    e: DecodedEvent,
    status: str,
    amount: int | None = None,
    financier: str | None = None,
) -> None:
    w.append(
        FinancingHistory,
        request_id=e.args["requestId"],
        status=status,
        financier=financier,
        amount=amount,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
    )


def _financing_requested(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    asked = a["asked"]
    w.require(Piece, a["tokenId"])  # a piece the projection lacks: a fault too
    w.add(
        FinancingRequest,
        id=a["requestId"],
        token_id=a["tokenId"],
        requester=a["requester"],
        financier=None,
        mode=MODES[a["mode"]],
        recourse=a["recourse"],
        status="requested",
        expires_at=a["expiresAt"],
        asked_advance=asked["advance"],
        asked_repayment=asked["repayment"],
        asked_fees=asked["fees"],
        asked_fund_by=asked["fundBy"],
        advance=None,
        repayment=None,
        fees=None,
        fund_by=None,
        payment_ref=None,
        created_block=e.block_number,
        updated_block=e.block_number,
    )
    for financier in a["financiers"]:
        w.add(
            FinancingOffer,
            request_id=a["requestId"],
            financier=financier,
            token_id=a["tokenId"],
            status="invited",
            advance=None,
            repayment=None,
            fees=None,
            fund_by=None,
            reason=None,
            updated_block=e.block_number,
        )
    _history(w, e, "requested", asked["advance"])


def _set_terms(row: Any, terms: dict[str, int]) -> None:
    row.advance = terms["advance"]
    row.repayment = terms["repayment"]
    row.fees = terms["fees"]
    row.fund_by = terms["fundBy"]


def _financing_offered(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    offer = w.get(FinancingOffer, (a["requestId"], a["financier"]))
    offer.status = "made"
    _set_terms(offer, a["terms"])
    offer.updated_block = e.block_number
    w.get(FinancingRequest, a["requestId"]).updated_block = e.block_number
    _history(w, e, "offered", a["terms"]["advance"], a["financier"])


def _financing_accepted(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    request = w.get(FinancingRequest, a["requestId"])
    request.status = "accepted"
    request.financier = a["financier"]
    _set_terms(request, a["terms"])
    request.updated_block = e.block_number
    _history(w, e, "accepted", a["terms"]["advance"], a["financier"])


def _financing_rejected(w: Writer, e: DecodedEvent) -> None:
    """A named financier declined; the request closes when every one has."""
    a = e.args
    offer = w.get(FinancingOffer, (a["requestId"], a["financier"]))
    offer.status = "declined"
    offer.reason = a["reason"]
    offer.updated_block = e.block_number
    request = w.get(FinancingRequest, a["requestId"])
    request.updated_block = e.block_number
    if a["closed"]:
        request.status = "rejected"
    _history(w, e, "rejected" if a["closed"] else "declined", None, a["financier"])


def _financing_status(status: str, amount: str | None = None) -> Handler:
    """A step of the request as a whole (`amount`: the argument carrying its amount); the
    steps after acceptance belong to the accepted financier."""

    def apply(w: Writer, e: DecodedEvent) -> None:
        request = w.get(FinancingRequest, e.args["requestId"])
        request.status = status
        request.updated_block = e.block_number
        if status == "funded":  # the funding reference; repayments keep theirs in the feed
            request.payment_ref = e.args["paymentRef"]
        value = e.args[amount] if amount is not None else None
        _history(w, e, status, value, request.financier)

    return apply


HANDLERS: dict[tuple[str, str], Handler] = {
    ("Financing", "FinancingRequested"): _financing_requested,
    ("Financing", "FinancingOffered"): _financing_offered,
    ("Financing", "FinancingAccepted"): _financing_accepted,
    ("Financing", "FinancingRejected"): _financing_rejected,
    ("Financing", "FinancingWithdrawn"): _financing_status("withdrawn"),
    ("Financing", "FinancingExpired"): _financing_status("expired"),
    ("Financing", "FinancingFunded"): _financing_status("funded", "advance"),
    ("Financing", "LoanRepaid"): _financing_status("repaid", "amount"),
    ("Financing", "FinancingSettled"): _financing_status("settled", "amount"),
    ("Financing", "RecourseClaimed"): _financing_status("recourse_claimed", "amount"),
    ("Financing", "RecourseRepaid"): _financing_status("recourse_repaid", "amount"),
}
