"""Maker-checker off for tests that are not about it: an explicit policy that checks nothing
(a participant without a policy has the default one, which holds its writes as drafts)."""

from __future__ import annotations

from sqlalchemy import Engine

from scfledger.db.session import session_factory, transaction
from scfledger.people.policy import NO_CHECKER, set_policy


def without_maker_checker(engine: Engine, *participants: str) -> None:
    """Gives each participant a policy that checks nothing: its writes go straight on."""
    with transaction(session_factory(engine)) as session:
        for participant in participants:
            set_policy(session, participant, NO_CHECKER, by="tests")
