"""Handlers of the set-off contract's events: rounds, their items and parties, and what an
executed round clears of each piece and receivable."""

from __future__ import annotations

from typing import Any

from scfledger.db.projections import Piece, Receivable, SetOffItem, SetOffParty, SetOffRound
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector.settlement import discharge
from scfledger.indexer.projector.values import ZERO_ADDRESS
from scfledger.indexer.projector.writer import Handler, Writer


def _round(w: Writer, e: DecodedEvent) -> Any:
    """The round's row. `propose` emits every ItemPlanned before RoundProposed, so the
    first item opens the row (its proposer, deadline and totals come with RoundProposed,
    in the same transaction)."""
    row = w.find(SetOffRound, e.args["roundId"])
    if row is None:
        row = w.add(
            SetOffRound,
            round_id=e.args["roundId"],
            proposer=ZERO_ADDRESS,
            deadline=0,
            status="proposed",
            currency=None,
            item_count=0,
            total=0,
            party_count=0,
            consents=0,
            refused_by=None,
            reason=None,
            executor=None,
            tx_hash=e.tx_hash,
            created_block=e.block_number,
            updated_block=e.block_number,
        )
    row.updated_block = e.block_number
    return row


def _join(w: Writer, e: DecodedEvent, round_: Any, party: str) -> None:
    """Registers a holder or debtor of an item as a party awaiting its answer, once."""
    if w.find(SetOffParty, (round_.round_id, party)) is None:
        w.add(
            SetOffParty,
            round_id=round_.round_id, party=party, answer="awaiting",
            updated_block=e.block_number,
        )  # fmt: skip
        round_.party_count += 1


def _round_proposed(w: Writer, e: DecodedEvent) -> None:
    a = e.args
    row = _round(w, e)
    row.proposer = a["proposer"]
    row.deadline = a["deadline"]
    row.item_count = a["itemCount"]
    row.total = a["total"]


def _item_planned(w: Writer, e: DecodedEvent) -> None:
    """`amount` of the piece, owed by `debtor` to `holder`, is to clear; both are parties."""
    a = e.args
    piece = w.require(Piece, a["tokenId"])  # a piece the projection lacks: a fault
    receivable = w.require(Receivable, piece.slot)
    row = _round(w, e)
    # The round's currency is its pieces' (the planner plans one); pieces in several
    # currencies (the contract does not forbid them) leave it unknown.
    if row.party_count == 0:  # the first item (it always brings its holder and debtor)
        row.currency = receivable.currency
    elif row.currency != receivable.currency:
        row.currency = None
    w.add(
        SetOffItem,
        round_id=a["roundId"],
        token_id=a["tokenId"],
        slot=piece.slot,
        holder=a["holder"],
        debtor=a["debtor"],
        amount=a["amount"],
        remaining=None,
    )
    _join(w, e, row, a["holder"])
    _join(w, e, row, a["debtor"])


def _answer(w: Writer, e: DecodedEvent, answer: str) -> Any:
    party = w.get(SetOffParty, (e.args["roundId"], e.args["party"]))
    party.answer = answer
    party.updated_block = e.block_number
    row = w.get(SetOffRound, e.args["roundId"])
    row.updated_block = e.block_number
    return row


def _round_consented(w: Writer, e: DecodedEvent) -> None:
    _answer(w, e, "given").consents += 1


def _round_refused(w: Writer, e: DecodedEvent) -> None:
    """A refusal ends the round; consents given before it stay counted, as on chain."""
    row = _answer(w, e, "refused")
    row.status = "refused"
    row.refused_by = e.args["party"]
    row.reason = e.args["reason"]


def _piece_netted(w: Writer, e: DecodedEvent) -> None:
    """`amount` of the piece cleared, `remaining` left. A piece cleared whole turned
    `netted` by the token's PieceStateChanged just before; the value left circulation as
    `netted` on the slot (`settlement.discharge`: settled once settled + netted == face)."""
    a = e.args
    piece = w.get(Piece, a["tokenId"])
    piece.value = a["remaining"]
    piece.updated_block = e.block_number
    w.get(SetOffItem, (a["roundId"], a["tokenId"])).remaining = a["remaining"]
    discharge(w.get(Receivable, a["slot"]), a["amount"], netted=True)


def _round_executed(w: Writer, e: DecodedEvent) -> None:
    row = w.get(SetOffRound, e.args["roundId"])
    row.status = "executed"
    row.executor = e.args["executor"]
    row.updated_block = e.block_number


HANDLERS: dict[tuple[str, str], Handler] = {
    ("SetOff", "RoundProposed"): _round_proposed,
    ("SetOff", "ItemPlanned"): _item_planned,
    ("SetOff", "RoundConsented"): _round_consented,
    ("SetOff", "RoundRefused"): _round_refused,
    ("SetOff", "PieceNetted"): _piece_netted,
    ("SetOff", "RoundExecuted"): _round_executed,
}
