"""The events feed's visibility table always says what the one visibility rule says: for
any events, indexed in any batches, by an indexer started on a feed indexed before the
table existed or not, and any reorg the journal covers (or a deeper one, replayed), each
participant has a row for exactly the feed rows `visible_events` shows it,
and its feed pages (`list_events`) are the rule applied to the whole feed. The feed's
stored currencies likewise are what `event_money.read_model_currencies` says of each row."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from web3 import Web3

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.generated import Role
from scfledger.db.migrate import upgrade
from scfledger.db.projections import ChainEvent, FeedCurrency, FeedSubject, FeedVisibility
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.indexer import Indexer
from scfledger.services.event_money import read_model_currencies
from scfledger.services.ledger import Actor
from scfledger.services.visibility import list_events, visible_events
from tests.indexer.test_journal import ACCOUNTS, START, Chain, branch, empty

ZERO = "0x" + "00" * 20
ROOT = Path(__file__).resolve().parents[2]
PATH = os.pathsep.join([str(ROOT / "src"), str(ROOT / "clients" / "python")])


@lru_cache
def inputs(contract: str, name: str) -> frozenset[str]:
    """The arguments the event has on chain."""
    abi = load_artifact(contract).abi
    return frozenset(
        p["name"]
        for item in abi
        if item.get("type") == "event" and item["name"] == name
        for p in item["inputs"]
    )


@st.composite
def real_branch(draw: st.DrawFn, first_block: int) -> list[DecodedEvent]:
    """`test_journal.branch`, each event with just the arguments it has on chain (which
    pieces, requests and addresses an event names is what the rule reads)."""
    return [
        DecodedEvent(e.contract, e.name, {k: v for k, v in e.args.items()
                                          if k in inputs(e.contract, e.name)},
                     e.block_number, e.block_hash, e.tx_hash, e.log_index)
        for e in draw(branch(first_block))
    ]  # fmt: skip


def actor(address: str, roles: int = Role.SUPPLIER) -> Actor:
    return Actor(participant=address[:6], address=address, roles=roles, status="active")


def paged(session: Session, who: Actor, limit: int) -> list[int]:
    """Every event id the actor's feed gives, page by page."""
    found: list[int] = []
    cursor = 0
    while True:
        events, next_cursor = list_events(session, who, after=cursor, limit=limit)
        found += [e.id for e in events]
        if next_cursor == cursor:
            return found
        assert next_cursor > cursor
        cursor = next_cursor


def agrees_with_the_rule(engine: Engine, limit: int) -> None:
    with session_factory(engine)() as session:
        feed = list(session.scalars(select(ChainEvent).order_by(ChainEvent.id)))
        table = set(session.execute(select(FeedVisibility.address, FeedVisibility.event_id)))
        everyone = {*ACCOUNTS, ZERO} | {address for address, _ in table}
        for address in sorted(everyone):
            who = actor(address)
            seen = [e.id for e in visible_events(session, who, feed)]
            assert {i for a, i in table if a == address} == set(seen), address
            assert paged(session, who, limit) == seen, address
        auditor = actor(ACCOUNTS[0], Role.AUDITOR)
        assert paged(session, auditor, limit) == [e.id for e in feed]
        found = read_model_currencies(session, [(e.contract, e.name, e.args) for e in feed])
        stored = dict(session.execute(select(FeedCurrency.event_id, FeedCurrency.currency)).all())
        expected = {e.id: c for e, c in zip(feed, found, strict=True) if c is not None}
        assert stored == expected, [
            (e.id, e.name, e.args, stored.get(e.id), expected.get(e.id))
            for e in feed
            if stored.get(e.id) != expected.get(e.id)
        ]


def forget_derived(engine: Engine) -> None:
    """As the upgrade to migration 0021 finds an indexed feed: no derived rows."""
    with engine.begin() as connection:  # where keys do not cascade, nothing is left over
        connection.execute(delete(FeedVisibility))
        connection.execute(delete(FeedCurrency))
        connection.execute(delete(FeedSubject))


def start_empty(engine: Engine) -> Chain:
    empty(engine)
    forget_derived(engine)
    return Chain(engine)


def reorgs_keep_the_table(engine: Engine, data: st.DataObject) -> None:
    chain = start_empty(engine)
    limit = data.draw(st.integers(1, 5), label="page size")
    for _ in range(data.draw(st.integers(1, 3), label="rounds")):
        if data.draw(st.booleans(), label="a new indexer on a feed from before the table"):
            # As after migration 0021 on an indexed feed: the first batch fills the table.
            forget_derived(engine)
            chain.indexer = Indexer(Web3(), chain.sessions, chain.indexer.config)
        events = data.draw(real_branch(chain.head + 1), label="events")
        chain.index(
            events,
            batch_blocks=data.draw(st.integers(1, 4), label="batch blocks"),
            depth=data.draw(st.integers(1, 12), label="journal depth"),
        )
        agrees_with_the_rule(engine, limit)
        floor = chain.journal_floor()
        # Mostly within the journal (undone from it); sometimes below it (a replay).
        deep = floor > START - 1 and data.draw(st.booleans(), label="below the journal")
        low, high = (START - 1, floor - 1) if deep else (floor, chain.head)
        fork = data.draw(st.integers(low, high), label="fork")
        chain.reorg(fork)
        agrees_with_the_rule(engine, limit)


def event(contract: str, name: str, block: int, **args: object) -> DecodedEvent:
    assert set(args) == inputs(contract, name), set(args) ^ inputs(contract, name)
    tx = f"0x{block:064x}"
    return DecodedEvent(contract, name, dict(args), block, "", tx, 0)


def seen_by(engine: Engine, address: str) -> list[str]:
    """The names of the feed rows the table gives `address`, in feed order."""
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(ChainEvent.name)
                .join(FeedVisibility, FeedVisibility.event_id == ChainEvent.id)
                .where(FeedVisibility.address == address)
                .order_by(ChainEvent.id)
            )
        )


def priced(engine: Engine) -> list[tuple[str, str]]:
    """The feed rows with a stored currency: (name, currency), in feed order."""
    with session_factory(engine)() as session:
        return [
            (name, currency)
            for name, currency in session.execute(
                select(ChainEvent.name, FeedCurrency.currency)
                .join(FeedCurrency, FeedCurrency.event_id == ChainEvent.id)
                .order_by(ChainEvent.id)
            )
        ]


def test_a_rounds_events_reach_its_proposer_from_the_proposal_until_a_reorg_takes_it(
    sqlite_engine: Engine,
) -> None:
    """The round's item is planned in one batch and the round proposed in the next: the
    proposer (no party) then sees the item too; a reorg of the proposal takes both away,
    while the parties keep the item."""
    holder, debtor, proposer = ACCOUNTS
    issued = event(
        "ReceivableToken", "ReceivableIssued", START, tokenId=1, slot=1, debtor=debtor,
        creditor=holder, faceAmount=1_000, currency="0x434e59", issueDate=1_700_000_000,
        dueDate=1_800_000_000, documentHash="0x" + "d" * 64,
    )  # fmt: skip
    planned = event(
        "SetOff", "ItemPlanned", START + 1, roundId=1, tokenId=1, holder=holder,
        debtor=debtor, amount=5,
    )  # fmt: skip
    proposed = event(
        "SetOff", "RoundProposed", START + 2, roundId=1, proposer=proposer,
        deadline=1_800_000_000, itemCount=1, total=5,
    )  # fmt: skip
    chain = start_empty(sqlite_engine)
    chain.index([issued, planned, proposed], batch_blocks=1, depth=12)
    agrees_with_the_rule(sqlite_engine, limit=2)
    assert seen_by(sqlite_engine, proposer) == ["ItemPlanned", "RoundProposed"]
    assert seen_by(sqlite_engine, holder) == ["ReceivableIssued", "ItemPlanned", "RoundProposed"]
    # The issue names its own currency; the item its piece's; the proposal its round's.
    assert priced(sqlite_engine) == [("ItemPlanned", "CNY"), ("RoundProposed", "CNY")]
    chain.reorg(START + 1)
    agrees_with_the_rule(sqlite_engine, limit=2)
    assert priced(sqlite_engine) == [("ItemPlanned", "CNY")]
    assert seen_by(sqlite_engine, proposer) == []
    assert seen_by(sqlite_engine, holder) == ["ReceivableIssued", "ItemPlanned"]
    assert seen_by(sqlite_engine, debtor) == ["ReceivableIssued", "ItemPlanned"]


def test_an_indexer_caught_up_fills_the_table_of_a_feed_indexed_before_it(
    sqlite_engine: Engine,
) -> None:
    """After the upgrade to migration 0021 on an indexed feed and an idle chain (no batch
    to commit), the indexer fills the table when it finds itself caught up."""
    holder, debtor, _ = ACCOUNTS
    issued = event(
        "ReceivableToken", "ReceivableIssued", START, tokenId=1, slot=1, debtor=debtor,
        creditor=holder, faceAmount=1_000, currency="0x434e59", issueDate=1_700_000_000,
        dueDate=1_800_000_000, documentHash="0x" + "d" * 64,
    )  # fmt: skip
    chain = start_empty(sqlite_engine)
    chain.index([issued], batch_blocks=1, depth=12)
    forget_derived(sqlite_engine)
    assert seen_by(sqlite_engine, holder) == []
    Indexer(Web3(), chain.sessions, chain.indexer.config)._fill_derived()
    assert seen_by(sqlite_engine, holder) == seen_by(sqlite_engine, debtor) == ["ReceivableIssued"]
    agrees_with_the_rule(sqlite_engine, limit=1)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('feed') / 'index.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_visibility_table_agrees_with_the_rule_through_batches_and_reorgs(
    sqlite_engine: Engine, data: st.DataObject
) -> None:
    reorgs_keep_the_table(sqlite_engine, data)


@pytest.mark.integration
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_visibility_table_agrees_with_the_rule_on_postgresql(
    postgres_url: str, data: st.DataObject
) -> None:
    upgrade(postgres_url)  # once: the same database for every example
    engine = create_db_engine(postgres_url)
    try:
        reorgs_keep_the_table(engine, data)
    finally:
        engine.dispose()


@pytest.mark.parametrize("entry", ["scfledger.cli", "scfledger.app.compose"])
def test_the_indexers_that_run_in_production_keep_the_table(entry: str) -> None:
    """`scf index`, `scf serve` and the gateway's own indexer (built by app.compose) load
    the table's keeper: a process that imported only the indexer would not keep it."""
    check = (
        f"import {entry}; from scfledger.indexer import derived; "
        "from scfledger.services.feed_visibility import KEEPER; "
        "assert derived._keepers == [KEEPER], derived._keepers"
    )
    subprocess.run([sys.executable, "-c", check], check=True, env=os.environ | {"PYTHONPATH": PATH})
