"""The risk view of a financing request and a financier's policy, read from the index.

The view's clock is the index's: the timestamp of the last indexed block, asked of the
node once per checkpoint, so a read costs database queries only and judges the request
as of the state it reads.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.chain.generated import Role
from scfledger.db.projections import IndexerCheckpoint
from scfledger.db.session import transaction
from scfledger.indexer.indexer import CHECKPOINT_ID
from scfledger.risk.indicators import RiskIndicators
from scfledger.risk.policy import Assessment, Policy, assess, get_policy, set_policy
from scfledger.services.ledger import Actor
from scfledger.services.visibility import risk_request


class IndexClock:
    """The chain's time as the index stands: the timestamp of the checkpoint's block."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._lock = threading.Lock()
        self._known: tuple[int, int] | None = None  # (block number, its timestamp)

    def now(self, session: Session) -> int:
        checkpoint = session.get(IndexerCheckpoint, CHECKPOINT_ID)
        if checkpoint is None:  # nothing indexed yet: nothing to judge but by the head
            return int(self._w3.eth.get_block("latest")["timestamp"])
        with self._lock:
            known = self._known
        if known is not None and known[0] == checkpoint.block_number:
            return known[1]
        timestamp = int(self._w3.eth.get_block(checkpoint.block_number)["timestamp"])
        with self._lock:
            self._known = (checkpoint.block_number, timestamp)
        return timestamp


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
