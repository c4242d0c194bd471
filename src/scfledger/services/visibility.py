# Over 500 lines: the one visibility rule (CONVENTIONS 19) of every read, feed and webhook, and its
# feed-table form (who sees each event), kept beside it.
"""Who sees what: the one rule behind every read, the feed, SSE, webhooks, lineage and documents.

A participant sees its own business and nothing of the business of others:

- a **piece** it holds, or held before a whole move (a factored piece assigned to the
  financier, one returned on recourse); one it sent that awaits the receiver's signature
  (签收); every piece of a receivable it owes (the debtor pays whoever holds them); a piece
  a financier is named in an open request for (until it declines), or whose offer the
  requester accepted, until that request ends without a claim on the piece (withdrawn,
  expired, repaid);
- a **financing request** it made or is named in as a financier; of its **offers**, the
  requester sees all, a financier its own only; the agreed terms, and every step after
  acceptance, only the requester and the accepted financier (a competitor sees that the
  request moved on, not at what price; it does see who else was asked);
- a **settlement** it paid (debtor) or was paid (holder, lien holder, who confirm it);
- an **escrow balance**: its payee;
- a **receivable**: its debtor and first creditor, and whoever sees one of its pieces;
- a **document**: its uploaders, and whoever sees what an uploader anchored it on (the root
  piece of a receivable issued against it, a piece it was attached to as evidence);
- a **set-off round**: its parties (the holder and the debtor of each of its pieces) and
  its proposer;
- an **event**: the set-off round it names (its parties and proposer: every event of a
  round, also one naming a piece); the financing request it names (an offer, a decline or
  a step after acceptance only to the requester and the financier it belongs to), else one
  of the pieces it names, else (an event naming none: membership, governance, deposit
  token) its own address.

Auditors see everything. Not seen: what a participant's supplier did with a piece it was
paid with (splits further down, their holders, their financing), other participants'
financing terms, other branches of a receivable (lineage shows them redacted). Events are
delivered whole or not at all: an event is about one request or a few pieces, and whoever
sees those is a party to everything the event names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from scfledger.db.projections import (
    ChainEvent,
    Evidence,
    FeedCurrency,
    FeedVisibility,
    FinancingHistory,
    FinancingOffer,
    FinancingRequest,
    Piece,
    PieceTransfer,
    Receivable,
    SetOffParty,
    SetOffRound,
    Settlement,
)
from scfledger.exceptions import RecordNotFound

if TYPE_CHECKING:
    from scfledger.services.ledger import Actor

# A financier's request in one of these states has ended without a claim on the piece: from
# then on the piece (its holder's later splits and financing) is none of its business.
FINANCIER_DONE = ("rejected", "withdrawn", "expired", "repaid")
# Arguments of the request events every named financier sees: the request itself
# (FinancingRequested names `financiers`), its withdrawal or expiry (request and piece only).
REQUEST_WIDE_ARGS = frozenset({"requestId", "tokenId"})


def among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`: on PostgreSQL one array parameter (`= ANY`), not a thousand."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger())))
    return column.in_(ids)


def among_parameter(dialect: str, column: Any, name: str) -> Any:
    """`among` for a statement built once: `column IN :name`, the ids given when it runs
    (a list, perhaps empty)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger())))
    return column.in_(bindparam(name, expanding=True))


# -- pieces ------------------------------------------------------------------------------


def _accepted_financier(address: str) -> list[ColumnElement[bool]]:
    """Conditions on FinancingRequest: the actor's offer was accepted and the request has
    not ended without a claim on the piece."""
    return [
        FinancingRequest.financier == address,
        FinancingRequest.status.not_in(FINANCIER_DONE),
    ]


def _named_financier(address: str) -> list[ColumnElement[bool]]:
    """Conditions on FinancingOffer joined to its request: the actor is asked to finance and
    has not declined, while the request is open to offers."""
    return [
        FinancingOffer.financier == address,
        FinancingOffer.status != "declined",
        FinancingRequest.status == "requested",
    ]


def piece_clause(actor: Actor) -> ColumnElement[bool]:
    """The rule as a condition on `Piece` (correlated; the query may join Receivable)."""
    address = actor.address
    held = (
        select(PieceTransfer.id)
        .where(
            PieceTransfer.token_id == Piece.token_id,
            PieceTransfer.sender == address,
            PieceTransfer.kind == "whole",
        )
        .correlate(Piece)
        .exists()
    )
    owed = (
        select(Receivable.slot)
        .where(Receivable.slot == Piece.slot, Receivable.debtor == address)
        .correlate(Piece)
        .exists()
    )
    financed = (
        select(FinancingRequest.id)
        .where(FinancingRequest.token_id == Piece.token_id, *_accepted_financier(address))
        .correlate(Piece)
        .exists()
    )
    asked = (
        select(FinancingOffer.request_id)
        .join(FinancingRequest, FinancingRequest.id == FinancingOffer.request_id)
        .where(FinancingOffer.token_id == Piece.token_id, *_named_financier(address))
        .correlate(Piece)
        .exists()
    )
    return or_(Piece.holder == address, Piece.sender == address, held, owed, financed, asked)


def visible_token_ids(
    actor: Actor, where: Sequence[Any], limit: int | None = None, after: int | None = None
) -> Any:
    """The token ids of the pieces `actor` may see (the rule of `piece_clause`) among those
    matching `where` (conditions on Piece): one select per reason, each driven by an index on
    the actor's address (or on the ids in `where`), so the cost follows what the actor has to
    do with, not the size of the book. With `limit`, each reason keeps only its `limit`
    lowest ids: enough for a page of the first `limit` of all. `after` (also in `where` as
    `Piece.token_id > after`) starts the joined tables' scans."""
    address = actor.address
    held_after = [] if after is None else [PieceTransfer.token_id > after]
    financed_after = [] if after is None else [FinancingRequest.token_id > after]
    asked_after = [] if after is None else [FinancingOffer.token_id > after]
    # Each reason's token id column: its order is its index's ((sender, token_id) ...).
    reasons = [
        (Piece.token_id, select(Piece.token_id).where(Piece.holder == address, *where)),
        (Piece.token_id, select(Piece.token_id).where(Piece.sender == address, *where)),
        (
            PieceTransfer.token_id,
            select(PieceTransfer.token_id)
            .join(Piece, Piece.token_id == PieceTransfer.token_id)
            .where(
                PieceTransfer.sender == address,
                PieceTransfer.kind == "whole",
                *held_after,
                *where,
            )
            .distinct(),
        ),
        (
            Piece.token_id,
            select(Piece.token_id)
            .join(Receivable, Receivable.slot == Piece.slot)
            .where(Receivable.debtor == address, *where),
        ),
        (
            FinancingRequest.token_id,
            select(FinancingRequest.token_id)
            .join(Piece, Piece.token_id == FinancingRequest.token_id)
            .where(*_accepted_financier(address), *financed_after, *where)
            .distinct(),
        ),
        (
            FinancingOffer.token_id,
            select(FinancingOffer.token_id)
            .join(FinancingRequest, FinancingRequest.id == FinancingOffer.request_id)
            .join(Piece, Piece.token_id == FinancingOffer.token_id)
            .where(*_named_financier(address), *asked_after, *where)
            .distinct(),
        ),
    ]
    if limit is None:
        return union(*(branch for _, branch in reasons))
    # A subquery each: SQLite takes no LIMIT on a bare member of a UNION.
    subqueries = [branch.order_by(key).limit(limit).subquery() for key, branch in reasons]
    return union(*(select(sub.c.token_id) for sub in subqueries))


def visible_piece(session: Session, actor: Actor, token_id: int) -> Piece:
    """The piece if the actor may see it; RecordNotFound otherwise, as for an unknown one."""
    query = select(Piece).where(Piece.token_id == token_id)
    if not actor.is_auditor:
        query = query.where(piece_clause(actor))
    piece = session.scalars(query).one_or_none()
    if piece is None:
        raise RecordNotFound(kind="piece", key=token_id)
    return piece


def visible_among(session: Session, actor: Actor, token_ids: Iterable[int]) -> set[int]:
    """Those of `token_ids` the actor may see (one query)."""
    ids = sorted({t for t in token_ids if 0 <= t < 2**63})
    if not ids:
        return set()
    if actor.is_auditor:
        return set(
            session.scalars(select(Piece.token_id).where(among(session, Piece.token_id, ids)))
        )
    return set(session.scalars(visible_token_ids(actor, [among(session, Piece.token_id, ids)])))


def visible_receivable(session: Session, actor: Actor, slot: int) -> Receivable:
    """The receivable of `slot` if the actor may see it; RecordNotFound otherwise, as for an
    unknown one."""
    receivable = session.get(Receivable, slot)
    if receivable is None or not sees_receivable(session, actor, receivable):
        raise RecordNotFound(kind="receivable", key=slot)
    return receivable


def sees_receivable(session: Session, actor: Actor, receivable: Receivable) -> bool:
    """Its debtor and first creditor, auditors, and whoever may see one of its pieces."""
    if actor.is_auditor or actor.address in (receivable.creditor, receivable.debtor):
        return True
    visible = select(Piece.token_id).where(Piece.slot == receivable.slot, piece_clause(actor))
    return session.scalar(visible.limit(1)) is not None


# -- financing requests and settlements ----------------------------------------------------


def _named(request_id: Any, address: str) -> ColumnElement[bool]:
    """Whether `address` is a financier named in the request `request_id` (a column)."""
    return (
        select(FinancingOffer.request_id)
        .where(FinancingOffer.request_id == request_id, FinancingOffer.financier == address)
        .exists()
    )


def request_clause(actor: Actor) -> ColumnElement[bool]:
    """The requests the actor made or is named in as a financier (a condition on
    FinancingRequest)."""
    return or_(
        FinancingRequest.requester == actor.address,
        _named(FinancingRequest.id, actor.address).correlate(FinancingRequest),
    )


def _is_named(session: Session, request_id: int, address: str) -> bool:
    return session.get(FinancingOffer, (request_id, address)) is not None


def visible_request(session: Session, actor: Actor, request_id: int) -> FinancingRequest:
    """The request if the actor made it, is named in it or audits; RecordNotFound otherwise,
    as for an unknown one."""
    request = session.get(FinancingRequest, request_id)
    if request is None or not (
        actor.is_auditor
        or actor.address == request.requester
        or _is_named(session, request_id, actor.address)
    ):
        raise RecordNotFound(kind="financing request", key=request_id)
    return request


def risk_request(session: Session, actor: Actor, request_id: int) -> FinancingRequest:
    """A request whose risk view the actor may read: the assessment of a financier asked to
    finance it, for the financiers named in it and auditors (the requester sees the
    request, not how it is judged)."""
    request = visible_request(session, actor, request_id)
    if not (actor.is_auditor or _is_named(session, request_id, actor.address)):
        raise RecordNotFound(kind="financing request", key=request_id)
    return request


def sees_agreed_terms(actor: Actor, request: FinancingRequest) -> bool:
    """Whether the actor may see the terms agreed on a request (and its steps after
    acceptance): the requester, the financier whose offer it accepted, auditors. Another
    financier named in the request sees that it was accepted, not the price."""
    return actor.is_auditor or actor.address in (request.requester, request.financier)


def agreed_clause(actor: Actor) -> ColumnElement[bool] | None:
    """`sees_agreed_terms` as a condition on FinancingRequest (None: every request)."""
    if actor.is_auditor:
        return None
    return or_(
        FinancingRequest.requester == actor.address, FinancingRequest.financier == actor.address
    )


def offer_clause(actor: Actor, request: FinancingRequest) -> ColumnElement[bool] | None:
    """The offers of `request` the actor may see, as a condition on FinancingOffer (None:
    all of them): the requester and auditors see every offer, a financier its own."""
    if actor.is_auditor or actor.address == request.requester:
        return None
    return FinancingOffer.financier == actor.address


def visible_offers(
    session: Session, actor: Actor, request: FinancingRequest
) -> list[FinancingOffer]:
    """The offers of a request the actor sees (`visible_request` first), by financier."""
    query = select(FinancingOffer).where(FinancingOffer.request_id == request.id)
    clause = offer_clause(actor, request)
    if clause is not None:
        query = query.where(clause)
    return list(session.scalars(query.order_by(FinancingOffer.financier)))


def history_clause(actor: Actor, request: FinancingRequest) -> ColumnElement[bool] | None:
    """The steps of `request` (FinancingHistory) the actor sees (None: all): the steps of
    the request as a whole, and those of one financier only to the requester and it."""
    if actor.is_auditor or actor.address == request.requester:
        return None
    return or_(FinancingHistory.financier.is_(None), FinancingHistory.financier == actor.address)


def settlement_reasons(actor: Actor, where: Sequence[Any]) -> list[Any]:
    """One select of token ids per reason the actor sees a settlement (holder, lien holder,
    payee due to confirm it, debtor), each driven by an index on the actor's address."""
    address = actor.address
    return [
        select(Settlement.token_id).where(Settlement.holder == address, *where),
        select(Settlement.token_id).where(Settlement.lien_holder == address, *where),
        select(Settlement.token_id).where(Settlement.payee == address, *where),
        select(Settlement.token_id)
        .join(Receivable, Receivable.slot == Settlement.slot)
        .where(Receivable.debtor == address, *where),
    ]


# -- set-off rounds ------------------------------------------------------------------------


def round_clause(actor: Actor) -> ColumnElement[bool]:
    """The rounds the actor is a party to or proposed (a condition on SetOffRound)."""
    party = (
        select(SetOffParty.round_id)
        .where(SetOffParty.round_id == SetOffRound.round_id, SetOffParty.party == actor.address)
        .correlate(SetOffRound)
        .exists()
    )
    return or_(SetOffRound.proposer == actor.address, party)


def visible_round(session: Session, actor: Actor, round_id: int) -> SetOffRound:
    """The round if the actor is a party to it, proposed it or audits; RecordNotFound
    otherwise, as for an unknown one."""
    query = select(SetOffRound).where(SetOffRound.round_id == round_id)
    if not actor.is_auditor:
        query = query.where(round_clause(actor))
    found = session.scalars(query).one_or_none() if 0 <= round_id < 2**63 else None
    if found is None:
        raise RecordNotFound(kind="set-off round", key=round_id)
    return found


# -- documents ---------------------------------------------------------------------------


def sees_document(session: Session, actor: Actor, *, sha256: str, uploaders: Sequence[str]) -> bool:
    """Whether the actor may see what the document backs: the root piece of a receivable an
    uploader (`uploaders`: their addresses) issued against it, or a piece an uploader
    attached it to. An anchor made by anyone else (a hash is public) grants nothing."""
    if actor.is_auditor:
        return True
    if not uploaders:
        return False
    on_chain = "0x" + sha256.lower()
    roots = select(Receivable.root_token_id).where(
        Receivable.document_hash == on_chain, Receivable.debtor.in_(uploaders)
    )
    attached = select(Evidence.token_id).where(
        Evidence.evidence_hash == on_chain, Evidence.attached_by.in_(uploaders)
    )
    backed = list(session.scalars(union(roots, attached)))
    return bool(visible_among(session, actor, backed))


# -- events ------------------------------------------------------------------------------

# Event arguments naming a piece, a financing request or a set-off round.
PIECE_ARGS = ("tokenId", "parentTokenId", "childTokenId", "_tokenId", "_fromTokenId", "_toTokenId")
REQUEST_ARGS = ("requestId",)
ROUND_ARGS = ("roundId",)
FEED_SCAN = 1000  # rows an auditor's feed page scans at most (anyone else's: the table)


def _ids(args: dict[str, Any], names: Sequence[str]) -> list[int]:
    """The ids (integers a BIGINT column can hold) the arguments `names` carry."""
    return [int(v) for n in names if isinstance(v := args.get(n), int) and 0 <= v < 2**63]


@dataclass(frozen=True)
class EventView:
    """What a participant may see of some events (see `visible_event`). `requests`: the
    requests it sees, each with its requester and accepted financier (or None); `rounds`:
    the set-off rounds it is a party to or proposed."""

    address: str
    everything: bool
    pieces: frozenset[int]
    requests: dict[int, tuple[str, str | None]]
    rounds: frozenset[int] = frozenset()


def event_view(session: Session, actor: Actor, args_of: Sequence[dict[str, Any]]) -> EventView:
    """What the actor may see of the events with these arguments: the read model is asked
    about just the pieces, requests and rounds they name (three queries at most)."""
    if actor.is_auditor:
        return EventView(actor.address, True, frozenset(), {})
    pieces: set[int] = set()
    requests: set[int] = set()
    rounds: set[int] = set()
    for args in args_of:
        rounds.update(found := _ids(args, ROUND_ARGS))
        if not found:  # a round's events are its parties' whatever piece they name
            pieces.update(_ids(args, PIECE_ARGS))
        requests.update(_ids(args, REQUEST_ARGS))
    seen_requests: dict[int, tuple[str, str | None]] = {}
    if requests:
        rows = session.execute(
            select(FinancingRequest.id, FinancingRequest.requester, FinancingRequest.financier)
            .where(among(session, FinancingRequest.id, sorted(requests)), request_clause(actor))
        )  # fmt: skip
        seen_requests = {id_: (requester, financier) for id_, requester, financier in rows}
    seen_rounds: frozenset[int] = frozenset()
    if rounds:
        seen_rounds = frozenset(
            session.scalars(
                select(SetOffRound.round_id).where(
                    among(session, SetOffRound.round_id, sorted(rounds)), round_clause(actor)
                )
            )
        )
    return EventView(
        address=actor.address,
        everything=False,
        pieces=frozenset(visible_among(session, actor, pieces)),
        requests=seen_requests,
        rounds=seen_rounds,
    )


def _sees_request_event(view: EventView, request_id: int, args: dict[str, Any]) -> bool:
    """The request as a whole (asked, withdrawn, lapsed) is every named financier's
    business; an offer, a decline or a step after acceptance is the requester's and that
    financier's only (it carries a price: an offer's, or the agreed terms)."""
    parties = view.requests.get(request_id)
    if parties is None:
        return False
    if "financiers" in args or set(args) <= REQUEST_WIDE_ARGS:
        return True
    requester, accepted = parties
    financier = args.get("financier", accepted)
    address = view.address.lower()
    return address in (requester.lower(), str(financier).lower())


def _names(value: Any, address: str) -> bool:
    if isinstance(value, str):
        return value.lower() == address
    if isinstance(value, list | tuple):
        return any(_names(v, address) for v in value)
    return False


def visible_event(view: EventView, args: dict[str, Any]) -> bool:
    """An event about a set-off round is seen by the round's parties and proposer (what
    clears of whose debts is theirs, even where the event names a piece); an event about a
    financing request by the parties to it (`_sees_request_event`: its terms are their
    business, even where the event also names the piece); else an event naming pieces by
    whoever sees one of them; else (no piece, no request) by whom it names."""
    if view.everything:
        return True
    rounds = _ids(args, ROUND_ARGS)
    if rounds:
        return any(r in view.rounds for r in rounds)
    requests = _ids(args, REQUEST_ARGS)
    if requests:
        return any(_sees_request_event(view, r, args) for r in requests)
    pieces = _ids(args, PIECE_ARGS)
    if pieces:
        return any(p in view.pieces for p in pieces)
    address = view.address.lower()
    return any(_names(value, address) for value in args.values())


def visible_events(
    session: Session, actor: Actor, events: Sequence[ChainEvent]
) -> list[ChainEvent]:
    """Those of `events` the actor may see, in their order."""
    view = event_view(session, actor, [e.args for e in events])
    return [e for e in events if visible_event(view, e.args)]


class FeedRow(NamedTuple):
    """A feed row as a page shows it (`ChainEvent`'s columns but the block hash), and the
    currency the indexer stored for its amounts (`FeedCurrency`; None: none stored)."""

    id: int
    block_number: int
    tx_hash: str
    log_index: int
    contract: str
    name: str
    args: dict[str, Any]
    stored_currency: str | None


# A page read as plain rows: a page of ORM objects costs twice the CPU. The currencies are
# joined after the cursor too: PostgreSQL does not carry `> after` across an outer join,
# and its merge join would otherwise read every currency row before the cursor (12 ms for
# a page in the middle of 120,000 events, against 1 ms at the start).
_FEED_PAGE = select(
    ChainEvent.id,
    ChainEvent.block_number,
    ChainEvent.tx_hash,
    ChainEvent.log_index,
    ChainEvent.contract,
    ChainEvent.name,
    ChainEvent.args,
    FeedCurrency.currency,
).outerjoin(
    FeedCurrency,
    and_(FeedCurrency.event_id == ChainEvent.id, FeedCurrency.event_id > bindparam("after")),
)


_FEED_HEAD = select(func.max(ChainEvent.id)).scalar_subquery()

# Built once, with the cursor, the limit and the viewer as parameters: a statement built
# per request costs its construction and its cache key, every page.
_AUDITOR_PAGE = (
    _FEED_PAGE.where(ChainEvent.id > bindparam("after"))
    .order_by(ChainEvent.id)
    .limit(bindparam("limit"))
)
# The page up to the newest row, and that row's id, in one statement: one snapshot, so
# everything the page reads was committed with that row or before it.
_VIEWER_PAGE = (
    _FEED_PAGE.add_columns(_FEED_HEAD)
    .join(FeedVisibility, FeedVisibility.event_id == ChainEvent.id)
    .where(
        FeedVisibility.address == bindparam("address"),
        FeedVisibility.event_id > bindparam("after"),
        FeedVisibility.event_id <= _FEED_HEAD,
    )
    .order_by(FeedVisibility.event_id)
    .limit(bindparam("limit"))
)


def list_events(
    session: Session, actor: Actor, *, after: int, limit: int
) -> tuple[list[FeedRow], int]:
    """Visible events after the cursor `after`, in feed order, and the cursor to continue
    from: the last event returned; on a page shorter than `limit`, the newest event of the
    feed (nothing up to it is left for the actor); on an empty page, `after`. A
    participant's page is read from the visibility table the indexer keeps by this rule
    (`event_viewers`), an index range."""
    # Core statements on the session's connection: the ORM's execution layer adds nothing here.
    connection = session.connection()
    if actor.is_auditor:
        found = [
            FeedRow._make(row)
            for row in connection.execute(
                _AUDITOR_PAGE, {"after": after, "limit": min(limit, FEED_SCAN)}
            )
        ]
        return found, found[-1].id if found else after
    rows = connection.execute(
        _VIEWER_PAGE, {"address": actor.address.lower(), "after": after, "limit": limit}
    ).all()
    if not rows:  # nothing new: continue from here
        return [], after
    events = [FeedRow._make(row[:-1]) for row in rows]
    return events, events[-1].id if len(events) == limit else rows[0][-1]


# -- the feed's visibility table -------------------------------------------------------------
# The rule above turned around, for `services.feed_visibility` (the indexer's keeper of the
# table): who may see each event, rather than which events one actor may see. Candidates
# come from the read model by round, request and piece; each is judged by `visible_event`.

SUBJECT_CHUNK = 5_000  # ids per IN list


class Named(NamedTuple):
    """The pieces, financing requests and set-off rounds an event names, as the rule reads
    them (`event_view`): a round's event names no piece (its parties see it, whatever piece
    it is about)."""

    pieces: list[int]
    requests: list[int]
    rounds: list[int]


def named_ids(args: dict[str, Any]) -> Named:
    """What an event's arguments name, as `event_view` and `visible_event` read them."""
    rounds = _ids(args, ROUND_ARGS)
    return Named([] if rounds else _ids(args, PIECE_ARGS), _ids(args, REQUEST_ARGS), rounds)


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), SUBJECT_CHUNK):
        yield ordered[start : start + SUBJECT_CHUNK]


def piece_viewers(session: Session, token_ids: Iterable[int]) -> dict[int, set[str]]:
    """Who, auditors aside, may see each of the pieces (`piece_clause` by piece: holder,
    sender, earlier holders of a whole move, the debtor, an accepted financier whose request
    has not ended without a claim, a named financier of an open request), in lower case."""
    found: dict[int, set[str]] = {}

    def add(rows: Iterable[Any]) -> None:
        for token_id, address in rows:
            if address is not None:
                found.setdefault(token_id, set()).add(address.lower())

    for ids in chunks(token_ids):
        add(session.execute(select(Piece.token_id, Piece.holder).where(Piece.token_id.in_(ids))))
        add(session.execute(select(Piece.token_id, Piece.sender).where(Piece.token_id.in_(ids))))
        add(
            session.execute(
                select(PieceTransfer.token_id, PieceTransfer.sender).where(
                    PieceTransfer.token_id.in_(ids), PieceTransfer.kind == "whole"
                )
            )
        )
        add(
            session.execute(
                select(Piece.token_id, Receivable.debtor)
                .join(Receivable, Receivable.slot == Piece.slot)
                .where(Piece.token_id.in_(ids))
            )
        )
        add(
            session.execute(
                select(FinancingRequest.token_id, FinancingRequest.financier).where(
                    FinancingRequest.token_id.in_(ids),
                    FinancingRequest.status.not_in(FINANCIER_DONE),
                )
            )
        )
        add(
            session.execute(
                select(FinancingOffer.token_id, FinancingOffer.financier)
                .join(FinancingRequest, FinancingRequest.id == FinancingOffer.request_id)
                .where(
                    FinancingOffer.token_id.in_(ids),
                    FinancingOffer.status != "declined",
                    FinancingRequest.status == "requested",
                )
            )
        )
    return found


@dataclass(frozen=True)
class RequestParties:
    requester: str
    financier: str | None  # the accepted one
    named: frozenset[str]  # lower case

    def sees(self, address: str) -> bool:
        """`request_clause`: the requester or a financier named in the request."""
        return address in (self.requester.lower(), *self.named)


def request_parties(session: Session, request_ids: Iterable[int]) -> dict[int, RequestParties]:
    """Each request's requester, accepted financier and named financiers."""
    rows: dict[int, tuple[str, str | None]] = {}
    named: dict[int, set[str]] = {}
    for ids in chunks(request_ids):
        for id_, requester, financier in session.execute(
            select(FinancingRequest.id, FinancingRequest.requester, FinancingRequest.financier)
            .where(FinancingRequest.id.in_(ids))
        ):  # fmt: skip
            rows[id_] = (requester, financier)
        for id_, financier in session.execute(
            select(FinancingOffer.request_id, FinancingOffer.financier)
            .where(FinancingOffer.request_id.in_(ids))
        ):  # fmt: skip
            named.setdefault(id_, set()).add(financier.lower())
    return {
        id_: RequestParties(requester, financier, frozenset(named.get(id_, ())))
        for id_, (requester, financier) in rows.items()
    }


def round_viewers(session: Session, round_ids: Iterable[int]) -> dict[int, set[str]]:
    """Who, auditors aside, may see each of the set-off rounds (`round_clause` by round: its
    parties and its proposer), in lower case."""
    found: dict[int, set[str]] = {}
    for ids in chunks(round_ids):
        for round_id, address in session.execute(
            union(
                select(SetOffRound.round_id, SetOffRound.proposer)
                .where(SetOffRound.round_id.in_(ids)),
                select(SetOffParty.round_id, SetOffParty.party)
                .where(SetOffParty.round_id.in_(ids)),
            )
        ):  # fmt: skip
            found.setdefault(round_id, set()).add(address.lower())
    return found


def _addresses(value: Any) -> set[str]:
    """The address-like strings among an event's argument values, in lower case."""
    if isinstance(value, str):
        return {value.lower()} if len(value) == 42 and value.startswith("0x") else set()
    if isinstance(value, list | tuple | dict):
        values = value.values() if isinstance(value, dict) else value
        return set().union(*(_addresses(v) for v in values))
    return set()


def event_viewers(session: Session, args_of: Sequence[dict[str, Any]]) -> list[set[str]]:
    """Who, auditors aside, may see each of the events with these arguments (lower-case
    addresses): the candidates the read model names for its round, else its request, else
    its pieces, else the addresses it names, each judged by `visible_event` as that
    participant."""
    named = [named_ids(args) for args in args_of]
    viewers_of = piece_viewers(session, (p for n in named for p in n.pieces))
    parties_of = request_parties(session, (r for n in named for r in n.requests))
    round_of = round_viewers(session, (r for n in named for r in n.rounds))
    found: list[set[str]] = []
    for args, (pieces, requests, rounds) in zip(args_of, named, strict=True):
        candidates: set[str]
        if rounds:
            candidates = set().union(*(round_of.get(r, set()) for r in rounds))
        elif requests:
            candidates = set().union(
                *(
                    {p.requester.lower(), *p.named}
                    for r in requests
                    if (p := parties_of.get(r)) is not None
                )
            )
        elif pieces:
            candidates = set().union(*(viewers_of.get(p, set()) for p in pieces))
        else:
            candidates = _addresses(args)
        seen = set()
        for address in candidates:
            view = EventView(
                address=address,
                everything=False,
                pieces=frozenset(p for p in pieces if address in viewers_of.get(p, ())),
                requests={
                    r: (parties.requester, parties.financier)
                    for r in requests
                    if (parties := parties_of.get(r)) is not None and parties.sees(address)
                },
                rounds=frozenset(r for r in rounds if address in round_of.get(r, ())),
            )
            if visible_event(view, args):
                seen.add(address)
        found.append(seen)
    return found
