"""The risk view of a financing request and a financier's policy, read from the index.

The view's clock is the index's (scfledger.risk.clock.IndexClock): the timestamp of the
last indexed block, the clock of the portfolio reports too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.generated import Role
from scfledger.db.session import transaction
from scfledger.risk.clock import IndexClock
from scfledger.risk.indicators import RiskIndicators
from scfledger.risk.policy import Assessment, Policy, assess, get_policy, set_policy
from scfledger.services.ledger import Actor
from scfledger.services.visibility import risk_request


def request_risk(
    session: Session, clock: IndexClock, actor: Actor, request_id: int
) -> tuple[RiskIndicators, Assessment]:
    """Indicators of a request and the decision of its financier's policy, with every
    reason; for the request's financiers and auditors only (else RecordNotFound)."""
    risk_request(session, actor, request_id)
    # A financier judges on its own offer and policy, never on a competitor's.
    financier = None if actor.is_auditor else actor.address
    return assess(session, request_id, now=clock.now(session), financier=financier)


def own_policy(session: Session, actor: Actor) -> Policy:
    """The calling financier's risk policy (the default one until it sets its own)."""
    actor.require(Role.FINANCIER, "read a risk policy")
    return get_policy(session, actor.address)


def replace_policy(sessions: sessionmaker[Session], actor: Actor, policy: Policy) -> Policy:
    """Replaces the calling financier's risk policy."""
    actor.require(Role.FINANCIER, "set a risk policy")
    with transaction(sessions) as session:
        set_policy(session, actor.address, policy)
    return policy
