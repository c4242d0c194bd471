"""`/v1/setoff`: the set-off plan on the current index, proposing a round, each party's
consent or refusal, execution, and the rounds (docs/setoff.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import WRITE, AsciiDigits, IdPath, WriteDep, parse_cursor
from scfledger.api.schemas_setoff import (
    ClearingOut,
    PartyOut,
    PlannedRoundOut,
    PlanOut,
    PositionOut,
    ProposeIn,
    RefuseRoundIn,
    RoundItemOut,
    RoundOut,
    RoundPage,
)
from scfledger.services import setoff as services
from scfledger.services import setoff_reads as reads
from scfledger.services.ledger import Actor
from scfledger.services.ledger_money import piece_currency
from scfledger.services.visibility import visible_round

router = APIRouter(prefix="/v1/setoff", tags=["setoff"], route_class=GuardedRoute)

CurrencyQuery = Annotated[
    str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217: a round clears one currency")
]


@router.get("/plan")
def plan(gateway: GatewayDep, actor: CurrentActor, currency: CurrencyQuery) -> PlanOut:
    """The set-off plan of one currency on the index as it stands: the rounds the contract
    accepts (MTCS, docs/setoff.md), numbered, and every member's payable and receivable
    before and after them. A member sees its own position and the rounds it is party to,
    with its own items only; auditors see everything."""
    money = gateway.money
    currency = money.check_currency(currency)
    minimum = services.minimum_piece_value(gateway.ledger)
    with gateway.sessions() as session:
        now = gateway.clock.now(session)
        view = reads.plan_view(session, actor, currency=currency, now=now, minimum=minimum)
    text = money.text
    return PlanOut(
        currency=view.currency,
        chain_time=view.now,
        minimum_piece_value=text(view.minimum),
        rounds=[
            PlannedRoundOut(
                number=r.number,
                items=[
                    ClearingOut(
                        piece=c.piece, debtor=c.debtor, creditor=c.creditor, amount=text(c.amount)
                    )
                    for c in r.items
                ],
                item_count=r.item_count,
                total=text(r.total),
            )
            for r in view.rounds
        ],
        positions=[
            PositionOut(
                member=p.member,
                payable_before=text(p.payable_before),
                receivable_before=text(p.receivable_before),
                payable_after=text(p.payable_after),
                receivable_after=text(p.receivable_after),
                net=text(p.net),
            )
            for p in view.positions
        ],
        total_debt=money.optional(view.total_debt),
        cleared=money.optional(view.cleared),
        net_internal_debt=money.optional(view.net_internal_debt),
    )


@router.post("/rounds", status_code=202, responses=WRITE)
def propose(body: ProposeIn, write: WriteDep) -> JSONResponse:
    """Propose a round (any active member but an auditor): its items, or the current plan's
    round `plan_round` of `currency` (one the caller sees in the plan), by `deadline`.
    Checked against the index first as the contract checks it (`setoff-round-invalid`):
    ascending pieces, at most 32, each active, amounts at most the value leaving zero or at
    least the minimum piece value, one currency, balanced for every party. Proposing
    consents to nothing."""
    if body.items is None:
        currency = write.gateway.money.check_currency(body.currency or "")
        return write.submit(
            services.propose_round,
            deadline=body.deadline,
            plan_round=body.plan_round,
            currency=currency,
        )
    money = write.gateway.money
    with write.gateway.sessions() as session:
        items = [
            [i.piece, money.parse(i.amount, piece_currency(session, i.piece), field="amount")]
            for i in body.items
        ]
    return write.submit(services.propose_round, deadline=body.deadline, items=items)


@router.get("/rounds")
def list_rounds(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 50,
    status: Literal["proposed", "refused", "executed", "lapsed"] | None = None,
    awaiting_me: bool = False,
) -> RoundPage:
    """Rounds the caller is party to or proposed (auditors: all), by id; `status`
    as of chain time (`lapsed`: proposed and past its deadline); `awaiting_me`: open
    rounds still waiting for the caller's answer. `cursor`: the last id of the previous
    page."""
    after = parse_cursor(cursor)
    with gateway.sessions() as session:
        now = gateway.clock.now(session)
        rows = reads.list_rounds(
            session,
            actor,
            now=now,
            after=after,
            limit=limit,
            status=status,
            awaiting_me=awaiting_me,
        )
        items = [_round_out(session, gateway, actor, r.round_id, now) for r in rows]
    next_cursor = str(items[-1].id) if len(items) == limit else None
    return RoundPage(items=items, next_cursor=next_cursor)


def _round_out(
    session: Session, gateway: GatewayDep, actor: Actor, round_id: int, now: int
) -> RoundOut:
    text = gateway.money.text
    d = reads.round_detail(session, actor, visible_round(session, actor, round_id), now)
    r = d.round
    return RoundOut(
        id=r.round_id,
        proposer=r.proposer,
        status=d.status,
        deadline=r.deadline,
        currency=r.currency,
        item_count=r.item_count,
        total=text(r.total),
        consents=r.consents,
        party_count=r.party_count,
        items=[
            RoundItemOut(
                piece=i.token_id,
                slot=i.slot,
                debtor=i.debtor,
                holder=i.holder,
                amount=text(i.amount),
                remaining=gateway.money.optional(i.remaining),
            )
            for i in d.items
        ],
        parties=[PartyOut(party=p.party, answer=p.answer) for p in d.parties],
        my_answer=d.answer,
        gives_up=text(d.gives_up),
        sheds=text(d.sheds),
        refused_by=r.refused_by,
        reason=r.reason,
        executor=r.executor,
        tx_hash=r.tx_hash,
    )


@router.get("/rounds/{round_id}")
def get_round(round_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> RoundOut:
    """A round its parties, its proposer and auditors see (404 for anyone else): its items,
    every party's answer, its status at chain time and what it changes for the caller
    (`gives_up`, `sheds`, `my_answer`)."""
    with gateway.sessions() as session:
        return _round_out(session, gateway, actor, round_id, gateway.clock.now(session))


@router.post("/rounds/{round_id}/consent", status_code=202, responses=WRITE)
def consent(round_id: IdPath, write: WriteDep) -> JSONResponse:
    """Consent to a round (a party: a holder or debtor of one of its items), by its
    deadline. Consent gives up receivables: a maker's consent is a draft a checker approves
    under the default policy (`setoff.consent`)."""
    return write.submit(services.consent_round, round_id=round_id)


@router.post("/rounds/{round_id}/refuse", status_code=202, responses=WRITE)
def refuse(round_id: IdPath, body: RefuseRoundIn, write: WriteDep) -> JSONResponse:
    """Refuse a round (a party, also after consenting), by its deadline: it can no longer
    execute."""
    return write.submit(services.refuse_round, round_id=round_id, reason=body.reason)


@router.post("/rounds/{round_id}/execute", status_code=202, responses=WRITE)
def execute(round_id: IdPath, write: WriteDep) -> JSONResponse:
    """Execute a round every party consented to, by its deadline (any active member who
    sees it): every piece shrinks by its amount, or none (`piece-changed-since-plan` if a
    piece changed since the proposal)."""
    return write.submit(services.execute_round, round_id=round_id)
