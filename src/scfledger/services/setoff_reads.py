"""Reads of set-off (docs/setoff.md "Who sees what"): the plan on the current index and the
proposed rounds, as the caller may see them.

Set-off must not cost a firm its confidentiality (Slovenia's national set-off drew few firms
for lack of it). In the plan, a member sees its own position and the rounds it is party
to, of each only the items it is party to (pieces it holds or owes; the others counted,
not shown): before a round is proposed nobody learns who else owes whom. A party proposes
a plan round by its number, without seeing the rest. A proposed round is seen whole by its
parties (what each consents to), its proposer and auditors (services.visibility, the one
rule, as for its events in the feed); anyone else gets 404. Auditors see the whole plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from scfledger.db.projections import SetOffItem, SetOffParty, SetOffRound
from scfledger.exceptions import RecordNotFound
from scfledger.services.ledger import Actor
from scfledger.services.visibility import round_clause
from scfledger.setoff import planner
from scfledger.setoff.obligations import Obligation, obligations
from scfledger.setoff.rounds import Round, rounds

ROUND_STATUSES = ("proposed", "refused", "executed", "lapsed")
ANSWERS = ("awaiting", "given", "refused")


def _party_of(actor: Actor, debtor: str, holder: str) -> bool:
    return actor.address in (debtor, holder)


# -- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRound:
    """Round `number` (1-based, in the plan's order) as the caller sees it: its items the
    caller may see, how many it has and what it clears in all."""

    number: int
    items: tuple[planner.Clearing, ...]
    item_count: int
    total: int


@dataclass(frozen=True)
class PlanView:
    """The plan of one currency at chain time `now`: the rounds the caller may see, the
    positions it may see (before and after every round executes), and, for those who
    see all, the graph's totals (None for the others: the market's size is no member's)."""

    currency: str
    now: int
    rounds: list[PlannedRound]
    positions: list[planner.Position]
    total_debt: int | None
    cleared: int | None
    net_internal_debt: int | None
    minimum: int


def plan_rounds(
    session: Session, *, currency: str, now: int, minimum: int
) -> tuple[list[Obligation], list[Round]]:
    """The obligations of `currency` and the rounds the contract accepts that clear them."""
    graph = obligations(session, currency=currency, now=now)
    return graph, rounds(planner.plan(graph, minimum=minimum), graph, minimum=minimum)


def plan_view(session: Session, actor: Actor, *, currency: str, now: int, minimum: int) -> PlanView:
    graph, found = plan_rounds(session, currency=currency, now=now, minimum=minimum)
    everything = actor.is_auditor
    cleared = [c for r in found for c in r.items]
    positions = planner.positions(graph, cleared)
    shown = []
    for number, r in enumerate(found, start=1):
        mine = tuple(c for c in r.items if everything or _party_of(actor, c.debtor, c.creditor))
        if mine:
            shown.append(PlannedRound(number, mine, len(r.items), r.total))
    return PlanView(
        currency=currency,
        now=now,
        rounds=shown,
        positions=[p for p in positions if everything or p.member == actor.address],
        total_debt=sum(o.amount for o in graph) if everything else None,
        cleared=sum(c.amount for c in cleared) if everything else None,
        net_internal_debt=(
            sum(n for n in planner.net_positions(planner.pair_totals(graph)).values() if n > 0)
            if everything
            else None
        ),
        minimum=minimum,
    )


def plan_round_items(
    session: Session, actor: Actor, *, number: int, currency: str, now: int, minimum: int
) -> list[tuple[int, int]]:
    """The items (piece, amount) of the plan's round `number` as the index stands, if the
    caller sees that round (a party to it, or one who sees all); RecordNotFound otherwise."""
    _, found = plan_rounds(session, currency=currency, now=now, minimum=minimum)
    if not 1 <= number <= len(found):
        raise RecordNotFound(kind="plan round", key=number)
    r = found[number - 1]
    if not (actor.is_auditor or any(_party_of(actor, c.debtor, c.creditor) for c in r.items)):
        raise RecordNotFound(kind="plan round", key=number)
    return [(c.piece, c.amount) for c in r.items]


# -- proposed rounds -----------------------------------------------------------------------


def status_of(r: SetOffRound, now: int) -> str:
    """The round's status at chain time `now`: a proposed round past its deadline reads
    `lapsed`, as the contract reads it."""
    return "lapsed" if r.status == "proposed" and now > r.deadline else r.status


@dataclass(frozen=True)
class RoundDetail:
    """A round as the caller sees it: the items it may see, every party's answer, and what
    it changes for the caller (`gives_up`: receivables it holds that clear; `sheds`: debt
    it owes that clears; `answer`: its own, None if no party)."""

    round: SetOffRound
    status: str
    items: list[SetOffItem]
    parties: list[SetOffParty]
    gives_up: int
    sheds: int
    answer: str | None


def round_detail(session: Session, actor: Actor, r: SetOffRound, now: int) -> RoundDetail:
    items = session.scalars(
        select(SetOffItem).where(SetOffItem.round_id == r.round_id).order_by(SetOffItem.token_id)
    ).all()
    parties = session.scalars(
        select(SetOffParty).where(SetOffParty.round_id == r.round_id).order_by(SetOffParty.party)
    ).all()
    me = actor.address
    answer = next((p.answer for p in parties if p.party == me), None)
    return RoundDetail(
        round=r,
        status=status_of(r, now),
        items=list(items),
        parties=list(parties),
        gives_up=sum(i.amount for i in items if i.holder == me),
        sheds=sum(i.amount for i in items if i.debtor == me),
        answer=answer,
    )


def list_rounds(
    session: Session,
    actor: Actor,
    *,
    now: int,
    after: int | None,
    limit: int,
    status: str | None = None,
    awaiting_me: bool = False,
) -> Sequence[SetOffRound]:
    """The rounds the actor may see by id after the cursor; of one status (`lapsed`: past
    its deadline at chain time `now`); `awaiting_me`: those still open (proposed, not
    lapsed) where the caller's answer is awaited."""
    query = select(SetOffRound)
    if not actor.is_auditor:
        query = query.where(round_clause(actor))
    if after is not None:
        query = query.where(SetOffRound.round_id > after)
    if status == "lapsed":
        query = query.where(SetOffRound.status == "proposed", SetOffRound.deadline < now)
    elif status == "proposed":
        query = query.where(SetOffRound.status == "proposed", SetOffRound.deadline >= now)
    elif status is not None:
        query = query.where(SetOffRound.status == status)
    if awaiting_me:
        awaited = exists().where(
            SetOffParty.round_id == SetOffRound.round_id,
            SetOffParty.party == actor.address,
            SetOffParty.answer == "awaiting",
        )
        query = query.where(awaited, SetOffRound.status == "proposed", SetOffRound.deadline >= now)
    return session.scalars(query.order_by(SetOffRound.round_id).limit(limit)).all()
