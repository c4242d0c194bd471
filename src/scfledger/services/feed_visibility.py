"""Keeps the events feed's visibility table (`feed_visibility`) what the one rule says, and
the feed's currencies (`feed_currencies`) what `event_money.read_model_currencies` says.

Registered with the indexer (`indexer.derived`) when the services package is imported, it
runs in the indexer's transactions: a batch's new feed rows get their viewers, and so do
the older rows about a piece, request or set-off round the batch changed (a holder, a
financier asked or done with it, a round's parties and proposer); a reorg's removed rows
take theirs along and the rows about what they touched are judged again on the undone
projections; a replay of the whole feed refills the table. Auditors see every row and
have none. A row judged again has its currency looked up again too: a reorg may take away
what a round's currency came from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, exists, insert, select, tuple_
from sqlalchemy.orm import Session

from scfledger.db.projections import (
    ChainEvent,
    FeedCurrency,
    FeedSubject,
    FeedVisibility,
    FinancingRequest,
    Piece,
)
from scfledger.indexer import derived
from scfledger.services.event_money import (
    PIECE,
    REQUEST,
    ROUND,
    SLOT,
    currency_subjects,
    read_model_currencies,
)
from scfledger.services.visibility import SUBJECT_CHUNK, chunks, event_viewers, named_ids

# Arguments naming a piece whose row an event changes without the event being about it
# (the parent a recourse returns value to).
CHANGED_PIECE_ARGS = ("returnedTo",)
# Arguments of an event that makes or unmakes a slot's receivable (ReceivableIssued,
# ReceivableCancelled): its debtor sees every piece of the slot through that row, so a
# reorg that takes the event away changes what the debtor sees of all of them.
SLOT_DEBTOR_ARGS = ("slot", "debtor")


def _touched(
    session: Session, events: Sequence[tuple[int, dict[str, Any]]]
) -> set[tuple[str, int]]:
    """The pieces, requests, set-off rounds and slots whose rows the events may have
    changed: those they name, the pieces the named requests are about, a recourse's parent
    piece, a slot whose receivable an event makes or unmakes with every piece of it and
    every request about those (their currency is the receivable's)."""
    pieces: set[int] = set()
    requests: set[int] = set()
    rounds: set[int] = set()
    slots: set[int] = set()
    for _, args in events:
        named = named_ids(args)
        pieces.update(named.pieces)
        requests.update(named.requests)
        rounds.update(named.rounds)
        pieces.update(v for n in CHANGED_PIECE_ARGS if isinstance(v := args.get(n), int))
        if all(n in args for n in SLOT_DEBTOR_ARGS) and isinstance(slot := args["slot"], int):
            slots.add(slot)
    of_slots: set[int] = set()
    for ids in chunks(slots):
        of_slots.update(session.scalars(select(Piece.token_id).where(Piece.slot.in_(ids))))
    pieces |= of_slots
    for ids in chunks(of_slots):  # their currency is the requests' about them
        requests.update(
            session.scalars(select(FinancingRequest.id).where(FinancingRequest.token_id.in_(ids)))
        )
    for ids in chunks(requests):
        pieces.update(
            session.scalars(select(FinancingRequest.token_id).where(FinancingRequest.id.in_(ids)))
        )
    return (
        {(PIECE, p) for p in pieces if 0 <= p < 2**63}
        | {(REQUEST, r) for r in requests}
        | {(ROUND, r) for r in rounds}
        | {(SLOT, s) for s in slots if 0 <= s < 2**63}  # the rows' currencies: its receivable
    )


def _judge(session: Session, event_ids: Iterable[int]) -> None:
    """Writes the viewers and the currency of these feed rows afresh."""
    for ids in chunks(event_ids):
        rows = session.execute(
            select(ChainEvent.id, ChainEvent.contract, ChainEvent.name, ChainEvent.args).where(
                ChainEvent.id.in_(ids)
            )
        ).all()
        viewers = event_viewers(session, [args for *_, args in rows])
        found = read_model_currencies(session, [(c, n, a) for _, c, n, a in rows])
        session.execute(delete(FeedVisibility).where(FeedVisibility.event_id.in_(ids)))
        session.execute(delete(FeedCurrency).where(FeedCurrency.event_id.in_(ids)))
        values = [
            {"address": address, "event_id": row.id}
            for row, seen in zip(rows, viewers, strict=True)
            for address in sorted(seen)
        ]
        if values:
            session.execute(insert(FeedVisibility), values)
        priced = [
            {"event_id": row.id, "currency": currency}
            for row, currency in zip(rows, found, strict=True)
            if currency is not None
        ]
        if priced:
            session.execute(insert(FeedCurrency), priced)


def _add_subjects(session: Session, events: Sequence[tuple[int, dict[str, Any]]]) -> None:
    values = []
    for event_id, args in events:
        # Whose rows decide who sees the event (the rule), and its currency.
        named = named_ids(args)
        subjects = currency_subjects(args)
        for kind, ids in ((PIECE, named.pieces), (REQUEST, named.requests), (ROUND, named.rounds)):
            subjects[kind] = [*subjects[kind], *ids]
        values += [
            {"kind": kind, "subject_id": i, "event_id": event_id}
            for kind, ids in subjects.items()
            for i in set(ids)
        ]
    session.execute(delete(FeedSubject).where(FeedSubject.event_id.in_([i for i, _ in events])))
    if values:
        session.execute(insert(FeedSubject), values)


def _about(session: Session, subjects: set[tuple[str, int]]) -> set[int]:
    """The feed rows naming any of the subjects."""
    found: set[int] = set()
    ordered = sorted(subjects)
    for start in range(0, len(ordered), SUBJECT_CHUNK):
        chunk = ordered[start : start + SUBJECT_CHUNK]
        found.update(
            session.scalars(
                select(FeedSubject.event_id)
                .where(tuple_(FeedSubject.kind, FeedSubject.subject_id).in_(chunk))
                .distinct()
            )
        )
    return found


def rebuild(session: Session) -> None:
    """The table from the whole feed, in the caller's transaction."""
    session.execute(delete(FeedVisibility))
    session.execute(delete(FeedCurrency))
    session.execute(delete(FeedSubject))
    after = 0
    while True:
        rows = [
            (event_id, args)
            for event_id, args in session.execute(
                select(ChainEvent.id, ChainEvent.args)
                .where(ChainEvent.id > after)
                .order_by(ChainEvent.id)
                .limit(SUBJECT_CHUNK)
            )
        ]
        if not rows:
            return
        _add_subjects(session, rows)
        _judge(session, [event_id for event_id, _ in rows])
        after = rows[-1][0]


class FeedVisibilityKeeper:
    """The indexer's hook (`indexer.derived.Keeper`)."""

    def changed(self, session: Session, change: derived.FeedChange) -> None:
        if change.rebuilt:
            rebuild(session)
            return
        removed = [event_id for event_id, _ in change.removed]
        for ids in chunks(removed):  # gone with their feed rows already where keys cascade
            session.execute(delete(FeedVisibility).where(FeedVisibility.event_id.in_(ids)))
            session.execute(delete(FeedCurrency).where(FeedCurrency.event_id.in_(ids)))
            session.execute(delete(FeedSubject).where(FeedSubject.event_id.in_(ids)))
        if change.added:
            for start in range(0, len(change.added), SUBJECT_CHUNK):
                _add_subjects(session, change.added[start : start + SUBJECT_CHUNK])
        touched = _touched(session, [*change.added, *change.removed])
        again = _about(session, touched) | {event_id for event_id, _ in change.added}
        _judge(session, again - set(removed))

    def fill_if_behind(self, session: Session) -> None:
        has_feed = session.scalar(select(exists().where(ChainEvent.id.is_not(None))))
        has_table = session.scalar(select(exists().where(FeedSubject.event_id.is_not(None))))
        has_rows = session.scalar(select(exists().where(FeedVisibility.event_id.is_not(None))))
        if has_feed and not has_table and not has_rows:
            rebuild(session)


KEEPER = FeedVisibilityKeeper()
derived.register(KEEPER)
