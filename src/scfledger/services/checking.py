"""A participant's maker-checker policy as its admins read and change it.

Changing the policy is itself administration (kind `policy.update`): a change that asks as
much as the current policy or more applies at once; one that asks less (loosens it) is held
as a draft for a checker when the current policy checks `policy.update`, so no single
person can loosen a policy that needs four eyes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.session import transaction
from scfledger.exceptions import InvalidInput
from scfledger.people import policy as policies
from scfledger.services import drafts
from scfledger.services.ledger import Actor

POLICY_UPDATE = "policy.update"


def read_policy(session: Session, actor: Actor) -> tuple[policies.Policy, bool]:
    """The actor's participant's policy, and whether it is the default one."""
    policy = policies.policy_of(session, actor.participant)
    return policy, not policies.has_own_policy(session, actor.participant)


def _apply(session: Session, participant: str, arguments: dict[str, Any], by: str) -> None:
    policy = policies.checked_policy(
        arguments["kinds"], arguments["two_checker_amount"], arguments["draft_ttl_hours"]
    )
    policies.set_policy(session, participant, policy, by=by[:64])


def _approved(session: Session, approved: drafts.Approved) -> None:
    _apply(session, approved.participant, approved.arguments, approved.by)


drafts.register_action(POLICY_UPDATE, _approved)


def update_policy(
    sessions: sessionmaker[Session],
    actor: Actor,
    *,
    kinds: list[str],
    two_checker_amount: int | None,
    draft_ttl_hours: int,
    now: datetime,
) -> drafts.DraftView | None:
    """Sets the participant's policy (an admin's act: the route checks the role). Returns
    None when it applied at once, else the draft that holds it for a checker."""
    try:
        wanted = policies.checked_policy(kinds, two_checker_amount, draft_ttl_hours)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    arguments = {
        "kinds": sorted(wanted.kinds),
        "two_checker_amount": wanted.two_checker_amount,
        "draft_ttl_hours": wanted.draft_ttl_hours,
    }
    by = actor.person.username if actor.person else actor.participant
    with transaction(sessions) as session:
        current = policies.policy_of(session, actor.participant)
        if not (current.needs_checker(POLICY_UPDATE) and current.loosens(wanted)):
            _apply(session, actor.participant, arguments, by)
            return None
    return drafts.hold_action(
        sessions, actor=actor, kind=POLICY_UPDATE, arguments=arguments, now=now
    )
