"""Maker-checker off for tests that are not about it: an explicit policy that checks nothing
(a participant without a policy has the default one, which holds its writes as drafts)."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine

from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.keys.sealing import Sealer
from scfledger.people.apikeys import create_api_key
from scfledger.people.policy import NO_CHECKER, set_policy
from scfledger.people.users import create_user
from tests.support.served import Served


def without_maker_checker(database: Engine | str, *participants: str) -> None:
    """Gives each participant a policy that checks nothing: its writes go straight on
    (`database`: an engine, or a database URL)."""
    engine = create_db_engine(database) if isinstance(database, str) else database
    try:
        with transaction(session_factory(engine)) as session:
            for participant in participants:
                set_policy(session, participant, NO_CHECKER, by="tests")
    finally:
        if isinstance(database, str):
            engine.dispose()


def person_key(
    served: Served, participant: str, username: str, roles: list[str], scopes: list[str]
) -> str:
    """A new person of `participant` with `roles`, and an API key of theirs with `scopes`.
    Served by another process, its second factor is sealed with a throwaway key: the
    person acts by API key only."""
    gateway = served.gateway
    sealer = gateway.sealer if gateway is not None else Sealer(secrets.token_bytes(32))
    engine = create_db_engine(served.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            user, _ = create_user(
                session,
                participant=participant,
                username=username,
                roles=roles,
                sealer=sealer,
            )
            return create_api_key(
                session=session,
                participant=participant,
                address=served.address(participant),
                user_id=user.id,
                scopes=scopes,
            )
    finally:
        engine.dispose()
