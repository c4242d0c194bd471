"""Administration under maker-checker: a user or key change (`user.admin`, `key.admin`)
waits for a checker when the participant's policy checks it and someone could approve it;
what its approval makes for the maker (a temporary password, a second factor, an API key)
is sealed into the draft and handed to the maker once (`reveal_secrets`), then erased.

Bootstrap: while a participant has no enabled person with the role checker besides the
maker (a new institution, run by its service account or a single admin), its
administration applies at once: nobody could ever approve it otherwise. The operator's
`scf users` never asks a checker.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.people import User
from scfledger.db.session import transaction
from scfledger.exceptions import AlreadyRevealed, NotMaker, WrongState
from scfledger.keys.sealing import Sealer
from scfledger.people import policy as policies
from scfledger.services import drafts
from scfledger.services.ledger import Actor


def has_other_checker(session: Session, participant: str, maker_id: str) -> bool:
    """Whether the participant has an enabled person (not a service account) with the role
    checker besides the maker: someone who could approve the maker's draft."""
    others = session.scalars(
        select(User).where(
            User.participant == participant,
            User.kind == "user",
            User.disabled_at.is_(None),
            User.id != maker_id,
        )
    ).all()
    return any("checker" in user.roles for user in others)


def hold_administration(
    sessions: sessionmaker[Session],
    *,
    actor: Actor,
    kind: str,
    arguments: dict[str, Any],
    now: datetime,
) -> drafts.DraftView | None:
    """The draft an administration request (`user.admin`, `key.admin`) becomes, or None
    when it applies at once: an actor without a person (the operator, tests), a policy
    that does not check `kind`, or (bootstrap) a participant with no enabled checker
    besides the maker, whose administration nobody could ever approve."""
    person = actor.person
    if person is None:
        return None
    with sessions() as session:
        policy = policies.policy_of(session, actor.participant)
        if not policy.needs_checker(kind):
            return None
        if not has_other_checker(session, actor.participant, person.user_id):
            return None
    return drafts.hold_action(sessions, actor=actor, kind=kind, arguments=arguments, now=now)


def reveal_secrets(
    sessions: sessionmaker[Session], actor: Actor, draft_id: int, *, sealer: Sealer, now: datetime
) -> dict[str, str]:
    """The secrets an approved administration draft made, to its maker, once: they are
    erased as they are read (AlreadyRevealed after). Anyone else: NotMaker; a draft that
    made none (yet): WrongState."""
    with transaction(sessions) as session:
        draft = drafts.own_draft(session, actor, draft_id, lock=True)
        if actor.person is None or actor.person.user_id != draft.maker_id:
            raise NotMaker(draft_id=draft_id)
        if draft.revealed_at is not None:
            raise AlreadyRevealed(draft_id=draft_id)
        if draft.sealed_secrets is None:
            raise WrongState(
                kind="draft", key=draft_id, state=draft.status, action="reveal what it made"
            )
        opened: dict[str, str] = json.loads(
            sealer.open(draft.sealed_secrets, drafts.sealed_record(draft))
        )
        draft.sealed_secrets, draft.revealed_at = None, now
        return opened
