# Over 500 lines: the one owner of a draft's life (making, deciding, submitting, announcing,
# resuming).
"""Maker-checker (复核): a maker's write that its participant's policy has checked becomes a
draft, off chain; different checkers of the same participant approve it (then it runs
through the write path with its original idempotency key and request) or one rejects it;
it expires after the policy's wait. Every change is announced as a gateway event
(`DraftCreated`, `DraftApproved`, `DraftRejected`, `DraftExpired`, `DraftSubmitted`) on the
participant's draft stream and to its webhooks. An approved draft a dead process never
submitted is resumed by the pipeline's recovery (`resume_approved`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.drafts import Draft, DraftDecision, GatewayEvent
from scfledger.db.gateway_tables import Webhook, WebhookDelivery
from scfledger.db.models import aware
from scfledger.db.session import transaction
from scfledger.exceptions import (
    AlreadyDecided,
    DraftExpired,
    IdempotencyConflict,
    OwnDraft,
    RecordNotFound,
    ScfError,
)
from scfledger.keys.sealing import Sealer
from scfledger.outbox.operation import OperationView
from scfledger.people import policy as policies
from scfledger.people.apikeys import participant_address
from scfledger.people.person import Person
from scfledger.services.ledger import Actor, Idempotency, Ledger, actor_for

DRAFT_STATUSES = ("pending", "approved", "rejected", "expired", "submitted")


@dataclass(frozen=True)
class Approved:
    """An approved administration draft, as its action applies it: the participant, the
    draft's arguments, who made and approved it (`by`), the maker's user id, and the
    gateway's sealer (None where no secret can be made)."""

    participant: str
    arguments: dict[str, Any]
    by: str
    maker_id: str
    sealer: Sealer | None


# Gateway actions a draft may hold besides ledger writes (the administration of people,
# keys and policy): draft.service "gateway:<kind>" -> what applies the approved draft, in
# the transaction that marks it submitted. It returns the secrets it made for the maker
# alone (sealed into the draft, revealed once), or None.
GatewayAction = Callable[[Session, Approved], dict[str, str] | None]
ACTIONS: dict[str, GatewayAction] = {}
ACTION_PREFIX = "gateway:"
log = logging.getLogger(__name__)


def register_action(kind: str, action: GatewayAction) -> None:
    """Lets drafts of the administration kind `kind` (people.policy.ADMINISTRATION_KINDS)
    hold `action` until checkers approve it."""
    assert kind in policies.ADMINISTRATION_KINDS, kind
    ACTIONS[ACTION_PREFIX + kind] = action


def utcnow() -> datetime:
    return datetime.now(UTC)


def service_name(service: Callable[..., Any]) -> str:
    """A use case's dotted name, as the request fingerprint and the policy name it."""
    return f"{service.__module__}.{service.__qualname__}"


def jsonable(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as JSON gives them back (tuples as lists): what a draft stores and
    replays (every use case takes its sequences and `Terms` as lists)."""
    decoded: dict[str, Any] = json.loads(json.dumps(arguments))
    return decoded


@dataclass(frozen=True)
class DraftView:
    """A draft with its decisions, oldest first."""

    draft: Draft
    decisions: list[DraftDecision]

    @property
    def approvals(self) -> list[DraftDecision]:
        return [d for d in self.decisions if d.decision == "approve"]


def _view(session: Session, draft: Draft) -> DraftView:
    decisions = session.scalars(
        select(DraftDecision).where(DraftDecision.draft_id == draft.id).order_by(DraftDecision.id)
    ).all()
    return DraftView(draft, list(decisions))


# -- announcements ---------------------------------------------------------------------


def announce(session: Session, draft: Draft, name: str, **extra: Any) -> GatewayEvent:
    """Records a gateway event of the draft's participant and queues it to each of its
    webhooks that names it (opt-in: a webhook of every event keeps getting chain events
    only, whose bodies it knows). A delivery's `event_id` is the gateway event's id
    negated: the chain events' ids are positive, so the two never meet in a webhook's
    deliveries."""
    args = {"draft_id": draft.id, "kind": draft.kind, "status": draft.status, **extra}
    event = GatewayEvent(participant=draft.participant, name=name, args=args)
    session.add(event)
    session.flush()
    for webhook in session.scalars(select(Webhook).where(Webhook.participant == draft.participant)):
        if webhook.event_names is None or name not in webhook.event_names:
            continue
        delivery = WebhookDelivery(
            webhook_id=webhook.id, event_id=-event.id, event_name=name, body={}
        )
        session.add(delivery)
        session.flush()
        delivery.body = {
            "delivery_id": delivery.id,
            "webhook_id": webhook.id,
            "event": {"id": f"g{event.id}", "source": "gateway", "name": name, "args": args},
        }
    return event


def gateway_events(
    session: Session, participant: str, *, after: int, limit: int
) -> Sequence[GatewayEvent]:
    return session.scalars(
        select(GatewayEvent)
        .where(GatewayEvent.participant == participant, GatewayEvent.id > after)
        .order_by(GatewayEvent.id)
        .limit(limit)
    ).all()


# -- making ----------------------------------------------------------------------------


def needs_draft(session: Session, actor: Actor, service: str) -> policies.Policy | None:
    """The participant's policy when this write must wait for a checker: a person acts
    (not a hand-built actor) and the policy names the write's kind."""
    kind = policies.kind_of(service)
    if actor.person is None or kind is None:
        return None
    policy = policies.policy_of(session, actor.participant)
    return policy if policy.needs_checker(kind) else None


def find_draft(session: Session, participant: str, idempotency: Idempotency) -> Draft | None:
    """The draft made under the participant's key, if any; IdempotencyConflict if the key
    was used for another request."""
    draft = session.scalars(
        select(Draft).where(
            Draft.participant == participant, Draft.idempotency_key == idempotency.key
        )
    ).one_or_none()
    if draft is not None and draft.request_hash != idempotency.request_hash:
        raise IdempotencyConflict(
            participant=participant, key=idempotency.key, operation_id=f"draft {draft.id}"
        )
    return draft


def make_draft(
    session: Session,
    *,
    actor: Actor,
    policy: policies.Policy,
    service: str,
    arguments: dict[str, Any],
    idempotency: Idempotency,
    now: datetime,
) -> Draft:
    """A pending draft of the maker's write, announced (`DraftCreated`)."""
    person = actor.person
    assert person is not None  # needs_draft said so
    kind = policies.kind_of(service) or service.removeprefix(ACTION_PREFIX)
    stored = jsonable(arguments)
    amount = policies.amount_of(session, kind, stored)
    draft = Draft(
        participant=actor.participant,
        kind=kind,
        service=service,
        arguments=stored,
        amount=amount,
        idempotency_key=idempotency.key,
        request_hash=idempotency.request_hash,
        maker_id=person.user_id,
        maker=person.username,
        status="pending",
        approvals_required=policy.approvals_for(kind, amount),
        created_at=now,
        expires_at=now + timedelta(hours=policy.draft_ttl_hours),
    )
    session.add(draft)
    session.flush()
    announce(session, draft, "DraftCreated", maker=person.username, amount=_amount(amount))
    return draft


def held(
    sessions: sessionmaker[Session], participant: str, idempotency: Idempotency
) -> DraftView | None:
    """The draft an earlier request under this key became (IdempotencyConflict if that was
    another request), or None."""
    with sessions() as session:
        draft = find_draft(session, participant, idempotency)
        return None if draft is None else _view(session, draft)


def hold(
    sessions: sessionmaker[Session],
    *,
    actor: Actor,
    service: str,
    arguments: dict[str, Any],
    idempotency: Idempotency,
    now: datetime,
) -> DraftView | None:
    """The draft this write becomes when the participant's policy needs a checker for it;
    None: the write goes on at once. Two identical requests at the same time make one
    draft (the second finds the first's)."""
    try:
        with transaction(sessions) as session:
            policy = needs_draft(session, actor, service)
            if policy is None:
                return None
            draft = make_draft(
                session,
                actor=actor,
                policy=policy,
                service=service,
                arguments=arguments,
                idempotency=idempotency,
                now=now,
            )
            return _view(session, draft)
    except IntegrityError:
        return held(sessions, actor.participant, idempotency)


def _amount(amount: int | None) -> str | None:
    return None if amount is None else str(amount)  # exact in JSON


# -- reading ---------------------------------------------------------------------------


def _expire(session: Session, draft: Draft, now: datetime) -> bool:
    """Expires a pending draft past its time (announced); whether it did."""
    if draft.status != "pending" or aware(draft.expires_at) > now:
        return False
    draft.status, draft.decided_at = "expired", now
    announce(session, draft, "DraftExpired")
    return True


def expire_due(session: Session, participant: str, now: datetime) -> int:
    """Expires the participant's pending drafts past their time; how many."""
    due = session.scalars(
        select(Draft).where(
            Draft.participant == participant, Draft.status == "pending", Draft.expires_at <= now
        )
    ).all()
    return sum(_expire(session, d, now) for d in due)


def own_draft(session: Session, actor: Actor, draft_id: int, *, lock: bool = False) -> Draft:
    query = select(Draft).where(Draft.id == draft_id)
    draft = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if draft is None or draft.participant != actor.participant:
        raise RecordNotFound(kind="draft", key=draft_id)
    return draft


def get_draft(
    sessions: sessionmaker[Session], actor: Actor, draft_id: int, *, now: datetime
) -> DraftView:
    """One of the participant's drafts (404 for another's), expired if its time is past."""
    with transaction(sessions) as session:
        draft = own_draft(session, actor, draft_id)
        _expire(session, draft, now)
        return _view(session, draft)


def list_drafts(
    sessions: sessionmaker[Session],
    actor: Actor,
    *,
    now: datetime,
    after: int | None,
    limit: int,
    status: str | None,
) -> list[DraftView]:
    """The participant's drafts by id, after the cursor, of one status if given (those past
    their time are expired first)."""
    with transaction(sessions) as session:
        expire_due(session, actor.participant, now)
        query = select(Draft).where(Draft.participant == actor.participant)
        if after is not None:
            query = query.where(Draft.id > after)
        if status is not None:
            query = query.where(Draft.status == status)
        drafts = session.scalars(query.order_by(Draft.id).limit(limit)).all()
        return [_view(session, d) for d in drafts]


# -- deciding --------------------------------------------------------------------------


def _decide(session: Session, actor: Actor, draft_id: int) -> tuple[Draft, Person]:
    """The pending draft a checker may decide, locked; refusals in the order a checker
    learns most from: not found, expired, no longer pending, its own, decided already."""
    person = actor.person
    draft = own_draft(session, actor, draft_id, lock=True)
    if draft.status == "expired":
        raise DraftExpired(draft_id=draft_id)
    if draft.status != "pending":
        raise AlreadyDecided(draft_id=draft_id, state=draft.status)
    if person is None:
        raise OwnDraft(draft_id=draft_id)  # nobody to tell apart from the maker
    if person.user_id == draft.maker_id:
        raise OwnDraft(draft_id=draft_id)
    decided = session.scalars(
        select(DraftDecision).where(
            DraftDecision.draft_id == draft.id, DraftDecision.user_id == person.user_id
        )
    ).first()
    if decided is not None:
        raise AlreadyDecided(draft_id=draft_id, state=f"already {decided.decision}d by you")
    return draft, person


def _expire_first(
    sessions: sessionmaker[Session], actor: Actor, draft_id: int, now: datetime
) -> None:
    """Expires the draft if its time is past, in a transaction of its own: the expiry stands
    though the decision is then refused."""
    with transaction(sessions) as session:
        _expire(session, own_draft(session, actor, draft_id), now)


def reject_draft(
    sessions: sessionmaker[Session], actor: Actor, draft_id: int, *, reason: str, now: datetime
) -> DraftView:
    """A checker rejects a pending draft with a reason (`DraftRejected`)."""
    _expire_first(sessions, actor, draft_id, now)
    with transaction(sessions) as session:
        draft, person = _decide(session, actor, draft_id)
        session.add(
            DraftDecision(
                draft_id=draft.id,
                user_id=person.user_id,
                username=person.username,
                decision="reject",
                reason=reason,
                at=now,
            )
        )
        draft.status, draft.decided_at, draft.reason = "rejected", now, reason
        announce(session, draft, "DraftRejected", checker=person.username, reason=reason)
        session.flush()
        return _view(session, draft)


def approve_draft(
    ledger: Ledger, actor: Actor, draft_id: int, *, now: datetime, sealer: Sealer | None = None
) -> tuple[DraftView, OperationView | None]:
    """A checker approves a pending draft (`DraftApproved`); the approval that reaches the
    policy's count submits it with its original idempotency key and request, as the
    participant (`DraftSubmitted`, with the operation, failed if the contract refused it
    at simulation). Returns the draft and its operation once submitted."""
    _expire_first(ledger.sessions, actor, draft_id, now)
    with transaction(ledger.sessions) as session:
        draft, person = _decide(session, actor, draft_id)
        session.add(
            DraftDecision(
                draft_id=draft.id,
                user_id=person.user_id,
                username=person.username,
                decision="approve",
                at=now,
            )
        )
        session.flush()
        approvals = len(_view(session, draft).approvals)
        complete = approvals >= draft.approvals_required
        if complete:
            draft.status, draft.decided_at = "approved", now
        announce(session, draft, "DraftApproved", checker=person.username, approvals=approvals)
    if not complete:
        with ledger.sessions() as session:
            return _view(session, session.get_one(Draft, draft_id)), None
    return submit_draft(ledger, actor, draft_id, sealer=sealer)


def _use_case(service: str) -> Callable[..., OperationView]:
    """The use case a draft names: only those the policy knows (a stored name is never an
    import path of anything else)."""
    if policies.kind_of(service) is None:
        raise RecordNotFound(kind="use case", key=service)
    module, _, name = service.rpartition(".")
    found: Callable[..., OperationView] = getattr(importlib.import_module(module), name)
    return found


def submit_draft(
    ledger: Ledger, actor: Actor, draft_id: int, *, sealer: Sealer | None = None
) -> tuple[DraftView, OperationView | None]:
    """Runs an approved draft's use case as its participant (`actor`: the last checker, of
    the same participant) under the draft's own idempotency key: submitting it twice
    finds the same operation."""
    with ledger.sessions() as session:
        draft = session.get_one(Draft, draft_id)
    action = ACTIONS.get(draft.service)
    if action is not None:
        try:
            return _apply(ledger.sessions, draft_id, action, sealer), None
        except ScfError as refused:  # the state changed while it waited (a name taken...)
            _refused(ledger.sessions, draft_id, refused)
            raise
    idempotency = Idempotency(key=draft.idempotency_key, request_hash=draft.request_hash)
    view = ledger.pipeline.find(draft.participant, idempotency.key, idempotency.request_hash)
    if view is None:
        service = _use_case(draft.service)
        try:
            view = service(ledger=ledger, actor=actor, idempotency=idempotency, **draft.arguments)
        except ScfError as refused:  # what the gateway refuses before the chain (404, 422)
            _refused(ledger.sessions, draft_id, refused)
            raise
    with transaction(ledger.sessions) as session:
        # Only the process that moves it from `approved` announces it (two resuming at
        # once find the same operation by its key; one of them says so).
        moved = session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.status == "approved")
            .values(status="submitted", operation_id=view.id)
        )
        stored = session.get_one(Draft, draft_id)
        session.refresh(stored)
        if getattr(moved, "rowcount", 0) == 1:
            announce(
                session,
                stored,
                "DraftSubmitted",
                operation_id=view.id,
                operation_status=view.status,
            )
        return _view(session, stored), view


def _apply(
    sessions: sessionmaker[Session], draft_id: int, action: GatewayAction, sealer: Sealer | None
) -> DraftView:
    """Applies an approved gateway action in the transaction that marks it submitted; the
    secrets it made are sealed into the draft for its maker (never announced)."""
    with transaction(sessions) as session:
        draft = session.get_one(Draft, draft_id)
        checkers = ", ".join(d.username for d in _view(session, draft).approvals)
        approved = Approved(
            participant=draft.participant,
            arguments=dict(draft.arguments),
            by=f"{draft.maker} ({checkers})",
            maker_id=draft.maker_id,
            sealer=sealer,
        )
        made = action(session, approved)
        if made:
            assert sealer is not None, "an action that makes secrets needs the gateway's sealer"
            draft.sealed_secrets = sealer.seal(json.dumps(made), sealed_record(draft))
        draft.status = "submitted"
        announce(session, draft, "DraftSubmitted", operation_id=None)
        session.flush()
        return _view(session, draft)


def hold_action(
    sessions: sessionmaker[Session],
    *,
    actor: Actor,
    kind: str,
    arguments: dict[str, Any],
    now: datetime,
) -> DraftView:
    """A draft of a gateway action (`register_action`) that waits for a checker whatever
    the policy says of it (the caller decided it must). Its key is its own: gateway
    actions take no idempotency key."""
    service = ACTION_PREFIX + kind
    assert service in ACTIONS, kind
    key = f"{service}:{uuid.uuid4()}"
    digest = hashlib.sha256(json.dumps([service, jsonable(arguments)], sort_keys=True).encode())
    with transaction(sessions) as session:
        policy = policies.policy_of(session, actor.participant)
        draft = make_draft(
            session,
            actor=actor,
            policy=policy,
            service=service,
            arguments=arguments,
            idempotency=Idempotency(key=key, request_hash=digest.hexdigest()),
            now=now,
        )
        return _view(session, draft)


def _refused(sessions: sessionmaker[Session], draft_id: int, refused: ScfError) -> None:
    """An approved draft the gateway refused to submit: submitted without an operation,
    the refusal as its reason (it would be refused again)."""
    with transaction(sessions) as session:
        draft = session.get_one(Draft, draft_id)
        draft.status, draft.reason = "submitted", f"refused: {refused}"
        announce(session, draft, "DraftSubmitted", operation_id=None, error=str(refused))


def sealed_record(draft: Draft) -> str:
    """What a draft's sealed secrets are bound to: they open on this draft only."""
    return f"draft:{draft.participant}:{draft.id}"


# -- resuming --------------------------------------------------------------------------


def resume_approved(ledger: Ledger, before: datetime, *, sealer: Sealer | None = None) -> int:
    """Submits the drafts approved before `before` and still `approved`: their approval
    was committed but the process died (or the chain was unreachable) before their
    submission. Each runs under its own idempotency key and request, so a draft whose
    operation was queued already finds it, and two processes resuming the same draft send
    it once. The participant acts (its address signs, as for any write); the maker and
    the checkers stay on the draft; `sealer` seals what an administration draft makes for
    its maker. Returns how many were submitted (a draft the gateway refuses is marked
    submitted with its reason and is not counted)."""
    with ledger.sessions() as session:
        due = session.scalars(
            select(Draft.id)
            .where(Draft.status == "approved", Draft.decided_at < before)
            .order_by(Draft.id)
        ).all()
    submitted = 0
    for draft_id in due:
        with ledger.sessions() as session:
            draft = session.get_one(Draft, draft_id)
            address = participant_address(session, draft.participant)
            if draft.status != "approved" or address is None:  # resumed by another already
                continue
            actor = actor_for(session, participant=draft.participant, address=address)
        try:
            submit_draft(ledger, actor, draft_id, sealer=sealer)
        except ScfError as refused:  # recorded on the draft by submit_draft
            log.warning("approved draft %s refused on resumption: %s", draft_id, type(refused))
            continue
        log.info("approved draft %s resumed", draft_id)
        submitted += 1
    return submitted
