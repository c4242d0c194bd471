"""Who sees what in the consent flow, on an indexed chain: a pending piece by its sender and
receiver; a request by every financier named in it, each seeing only its own offer; the
agreed terms and the steps after acceptance by the requester and the accepted financier."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from web3 import HTTPProvider, Web3

from scfledger.db.migrate import upgrade
from scfledger.db.projections import ChainEvent, FinancingHistory
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import RecordNotFound
from scfledger.network.anvil import anvil_node
from scfledger.services.ledger import Actor
from scfledger.services.visibility import (
    history_clause,
    list_events,
    sees_agreed_terms,
    visible_offers,
    visible_piece,
    visible_request,
)
from tests.support.indexer import indexer_for
from tests.support.ledger import FINANCIER, SUPPLIER, Consortium, deploy_consortium

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class World:
    c: Consortium
    engine: Engine
    pending: int  # sent by supplier1 to supplier2, not signed for
    financed: int  # supplier1's piece, asked of bank and bank2
    request: int


def actor(c: Consortium, name: str) -> Actor:
    roles = FINANCIER if name.startswith("bank") or name == "outsider" else SUPPLIER
    return Actor(participant=name, address=c.accounts[name], roles=roles, status="active")


def index(world: World) -> None:
    indexer_for(world.c, world.engine, batch_size=500).catch_up()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """supplier1 sends part of its piece to supplier2 (pending) and asks bank and bank2 to
    finance the rest; both offer, different amounts."""
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        _, root = c.issue_active(amount=1_000_000)
        pending = c.split(root, "supplier2", 100_000, sign=False)
        request = c.request(root, financier=["bank", "bank2"])
        asked = c.asked_terms(request)
        c.tx(c.financing.functions.offer(request, (asked[0] - 10_000, *asked[1:])), c.bank)
        c.tx(c.financing.functions.offer(request, (asked[0] - 20_000, *asked[1:])), c.bank2)
        db = f"sqlite:///{Path(tmp_path_factory.mktemp('vis')) / 'index.sqlite3'}"
        upgrade(db)
        world = World(c, create_db_engine(db), pending, root, request)
        index(world)
        yield world


def test_a_pending_piece_is_seen_by_its_sender_and_its_receiver_only(world: World) -> None:
    c = world.c
    with session_factory(world.engine)() as session:
        for name in ("supplier1", "supplier2"):
            assert visible_piece(session, actor(c, name), world.pending).sender == c.supplier1
        with pytest.raises(RecordNotFound):
            visible_piece(session, actor(c, "supplier3"), world.pending)


def test_named_financiers_see_the_request_and_only_their_own_offer(world: World) -> None:
    c = world.c
    with session_factory(world.engine)() as session:
        request = visible_request(session, actor(c, "supplier1"), world.request)
        everyone = visible_offers(session, actor(c, "supplier1"), request)
        assert [(o.financier, o.status) for o in everyone] == sorted(
            [(c.bank, "made"), (c.bank2, "made")]
        )
        for name in ("bank", "bank2"):
            me = actor(c, name)
            assert visible_request(session, me, world.request).id == world.request
            assert [o.financier for o in visible_offers(session, me, request)] == [me.address]
            assert visible_piece(session, me, world.financed).token_id == world.financed
        with pytest.raises(RecordNotFound):
            visible_request(session, actor(c, "outsider"), world.request)
        # The feed: bank sees the request and its own offer, not bank2's.
        events, _ = list_events(session, actor(c, "bank"), after=0, limit=1_000)
        offers = [e.args["financier"] for e in events if e.name == "FinancingOffered"]
        assert offers == [c.bank]
        assert "FinancingRequested" in {e.name for e in events}


def test_after_acceptance_only_the_parties_see_the_terms_and_the_steps(world: World) -> None:
    c = world.c
    request_id = world.request
    offered = c.financing.functions.getOffer(request_id, c.bank).call()[0]
    c.tx(c.financing.functions.acceptOffer(request_id, c.bank, offered), c.supplier1)
    index(world)
    with session_factory(world.engine)() as session:
        request = visible_request(session, actor(c, "bank2"), request_id)  # still named in it
        assert (request.status, request.financier, request.advance) == (
            "accepted",
            c.bank,
            offered[0],
        )
        assert [
            sees_agreed_terms(actor(c, n), request) for n in ("supplier1", "bank", "bank2")
        ] == [
            True,
            True,
            False,
        ]
        # bank2's view of the history: the request and its own offer, nothing of bank's.
        steps = select(FinancingHistory.status, FinancingHistory.financier).where(
            FinancingHistory.request_id == request_id
        )
        clause = history_clause(actor(c, "bank2"), request)
        assert clause is not None
        seen = session.execute(steps.where(clause).order_by(FinancingHistory.id)).all()
        assert [tuple(s) for s in seen] == [("requested", None), ("offered", c.bank2)]
        assert history_clause(actor(c, "supplier1"), request) is None
        # The losing financier no longer sees the piece, nor the acceptance in the feed.
        with pytest.raises(RecordNotFound):
            visible_piece(session, actor(c, "bank2"), world.financed)
        assert visible_piece(session, actor(c, "bank"), world.financed).state == "financing"
        names = {
            n: {e.name for e in list_events(session, actor(c, n), after=0, limit=1_000)[0]}
            for n in ("bank", "bank2")
        }
        assert "FinancingAccepted" in names["bank"]
        assert "FinancingAccepted" not in names["bank2"]
        accepted = session.scalars(
            select(ChainEvent).where(ChainEvent.name == "FinancingAccepted")
        ).one()
        assert accepted.args["terms"]["advance"] == offered[0]  # a struct, by field name
