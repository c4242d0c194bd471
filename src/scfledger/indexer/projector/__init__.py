"""Applies decoded events, in chain order, to the read-model tables.

One handler per event (`HANDLERS`, by contract and event name), in one module per
contract; every handler reads and writes through a `Writer`, which journals how to undo
each block for reorgs (`projector.journal`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scfledger.db.projections import (
    EscrowBalance,
    FinancingOffer,
    FinancingRequest,
    Member,
    Piece,
    Receivable,
    SetOffItem,
    SetOffParty,
    SetOffRound,
    Settlement,
)
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.faults import Fault, describe, is_fault
from scfledger.indexer.projector import financing, registry, setoff, settlement, token
from scfledger.indexer.projector.values import (
    MODES,
    PIECE_STATES,
    ZERO_ADDRESS,
    ZERO_HASH,
    currency_text,
)
from scfledger.indexer.projector.writer import Handler, ProjectionError, Writer

__all__ = [
    "HANDLERS",
    "MODES",
    "PIECE_STATES",
    "ZERO_ADDRESS",
    "ZERO_HASH",
    "Handler",
    "ProjectionError",
    "Writer",
    "apply_event",
    "currency_text",
    "preload",
    "project",
]

HANDLERS: dict[tuple[str, str], Handler] = {
    **registry.HANDLERS,
    **token.HANDLERS,
    **settlement.HANDLERS,
    **financing.HANDLERS,
    **setoff.HANDLERS,
}


def preload(w: Writer, events: list[DecodedEvent]) -> None:
    """Loads every existing row the events will touch with one query per table (and
    thousands of keys), so that applying them finds the rows in the writer, or knows
    there are none, instead of a query per event."""
    keys: dict[type[Any], set[Any]] = {
        Piece: set(),
        Receivable: set(),
        FinancingRequest: set(),
        Settlement: set(),
        EscrowBalance: set(),
        Member: set(),
        # A round's items and parties are loaded by round (the first column of their keys).
        SetOffRound: set(),
        SetOffItem: set(),
        SetOffParty: set(),
    }
    for event in events:
        a = event.args
        for name in ("tokenId", "parentTokenId", "returnedTo"):
            if name in a:
                keys[Piece].add(a[name])
        if "slot" in a:
            keys[Receivable].add(a["slot"])
        if "requestId" in a:
            keys[FinancingRequest].add(a["requestId"])
        if event.contract == "ReceivableToken" and "tokenId" in a:
            keys[Settlement].add(a["tokenId"])
        if event.contract == "DepositToken" and "payee" in a:
            keys[EscrowBalance].add(a["payee"])
        if event.contract == "ConsortiumRegistry" and "account" in a:
            keys[Member].add(a["account"])
        if event.contract == "SetOff":
            for model in (SetOffRound, SetOffItem, SetOffParty):
                keys[model].add(a["roundId"])
    for model, ids in keys.items():
        w.load(model, ids)
    w.load(FinancingOffer, keys[FinancingRequest])


def apply_event(w: Writer, event: DecodedEvent) -> None:
    """Projects one event; events without a projection live only in the feed."""
    handler = HANDLERS.get((event.contract, event.name))
    if handler is not None:
        w.block = event.block_number
        handler(w, event)


def project(
    session: Session, events: list[DecodedEvent], *, journal_above: int | None = None
) -> list[Fault]:
    """Projects `events` in chain order and flushes them; returns those that could not be.
    The writes of blocks above `journal_above` are journaled (None: none are).

    All at once first, in one savepoint (the fast path). If that fails on an event's fault
    (`faults.is_fault`), the savepoint is rolled back and the events are applied one by
    one, each in its own savepoint and flushed at once: a failing event leaves no row
    written or changed (nor journaled), and the others are projected. Database trouble is
    raised."""
    w = Writer(session, journal_above)
    try:
        with session.begin_nested():
            preload(w, events)
            for event in events:
                apply_event(w, event)
            w.flush()
        return []
    except Exception as exc:
        if not is_fault(exc):
            raise
        w.forget()
    found: list[Fault] = []
    for event in events:
        try:
            with session.begin_nested():
                apply_event(w, event)
                w.flush()
        except Exception as exc:
            if not is_fault(exc):
                raise
            w.forget()
            found.append(Fault(event, describe(exc)))
    return found
