"""Reorgs undo only the blocks above the fork, from the projection journal: for any events
and any fork the read model is exactly what a replay of the surviving feed gives; rows
below the fork are not rewritten; a reorg deeper than the journal replays the feed; the
journal is pruned below the blocks a reorg may still replace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, Table, delete, func, select, update
from web3 import Web3

from scfledger.db.migrate import upgrade
from scfledger.db.models import Operation
from scfledger.db.projections import (
    PROJECTION_TABLES,
    ChainEvent,
    IndexedBlock,
    IndexerCheckpoint,
    IndexerFault,
    Member,
    ProjectionJournal,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.indexer import Indexer, IndexerConfig, rebuild_projections, roll_back
from scfledger.indexer.projector import HANDLERS

START = 10  # the deployment block
ACCOUNTS = ["0x" + c * 40 for c in "abc"]
HASHES = ["0x" + c * 64 for c in "de"]
TERMS = {"advance": 900, "repayment": 1_000, "fees": 5, "fundBy": 1_800_000_000}


# ---- events --------------------------------------------------------------------------------

AMOUNTS = st.sampled_from([0, 1, 2, 5, 1_000])
ACCOUNT = st.sampled_from(ACCOUNTS)
HASH = st.sampled_from(HASHES)

# Every argument any handler reads, each from a small domain so that events meet the same
# rows (and sometimes rows that are missing or taken: faults).
ARGS = st.fixed_dictionaries(
    {
        "account": ACCOUNT,
        "name": st.sampled_from(["Acme", "Beta"]),
        "legalIdHash": HASH,
        "kycHash": HASH,
        "roles": st.integers(0, 3),
        "newRoles": st.integers(0, 3),
        "proposalId": st.integers(1, 2),
        "proposer": ACCOUNT,
        "target": ACCOUNT,
        "data": st.sampled_from(["0x", "0x12345678"]),
        "deadline": st.integers(0, 2**64 - 1),
        "admin": ACCOUNT,
        "slot": st.integers(1, 2),
        "tokenId": st.integers(1, 4),
        "parentTokenId": st.integers(1, 4),
        "childTokenId": st.integers(3, 4),
        "returnedTo": st.integers(1, 4),
        "debtor": ACCOUNT,
        "creditor": ACCOUNT,
        "faceAmount": st.sampled_from([5, 1_000]),
        "currency": st.sampled_from(["0x434e59", "0x555344"]),
        "issueDate": st.just(1_700_000_000),
        "dueDate": st.just(1_800_000_000),
        "documentHash": HASH,
        "from": st.sampled_from([*ACCOUNTS, "0x" + "00" * 20]),
        "to": ACCOUNT,
        "value": AMOUNTS,
        "depth": st.integers(1, 2),
        "receiver": ACCOUNT,
        "sender": ACCOUNT,
        "newState": st.integers(0, 12),
        "payee": ACCOUNT,
        "amount": AMOUNTS,
        "confirmBy": st.just(1_800_000_000),
        "paymentRef": HASH,
        "deemed": st.booleans(),
        "reason": HASH,
        "holder": ACCOUNT,
        "paidOnChain": st.booleans(),
        "lienHolder": st.sampled_from([ACCOUNTS[0], "0x" + "00" * 20]),
        "lienAmount": AMOUNTS,
        "evidenceHash": HASH,
        "by": ACCOUNT,
        "requestId": st.integers(1, 2),
        "requester": ACCOUNT,
        "mode": st.integers(0, 1),
        "recourse": st.booleans(),
        "expiresAt": st.just(1_800_000_000),
        "asked": st.just(TERMS),
        "financiers": st.lists(ACCOUNT, min_size=1, max_size=2, unique=True),
        "financier": ACCOUNT,
        "terms": st.just(TERMS),
        "closed": st.booleans(),
        "advance": AMOUNTS,
        "roundId": st.integers(1, 2),
        "itemCount": st.integers(1, 3),
        "total": AMOUNTS,
        "remaining": AMOUNTS,
        "party": ACCOUNT,
        "executor": ACCOUNT,
    }
)
# Creations more likely than the other events, so that most events find their rows.
CREATING = [
    k
    for k in HANDLERS
    if k[1]
    in ("MemberAdmitted", "ReceivableIssued", "PieceSplit", "FinancingRequested", "ItemPlanned")
]
KINDS = st.sampled_from(sorted(HANDLERS) + CREATING * 4)


@st.composite
def branch(draw: st.DrawFn, first_block: int) -> list[DecodedEvent]:
    """Events of blocks from `first_block` on, in chain order: up to four per block (their
    hashes are set when indexed)."""
    kinds = draw(st.lists(KINDS, min_size=8, max_size=40))
    events: list[DecodedEvent] = []
    block, log_index = first_block, 0
    for contract, name in kinds:
        gap = draw(st.integers(0, 2))
        if gap and events:
            block, log_index = block + gap, 0
        if log_index == 4:
            block, log_index = block + 1, 0
        tx = f"0x{first_block:08x}{block:08x}{log_index:048x}"
        args = draw(ARGS)
        if name == "ReceivableIssued":
            args["tokenId"] = args["slot"]  # roots 1 and 2; pieces 3 and 4 are split off
        events.append(DecodedEvent(contract, name, args, block, "", tx, log_index))
        log_index += 1
    return events


# ---- a chain that forks --------------------------------------------------------------------


class Chain:
    """Indexes branches of events through the indexer's own batch commit and rollback;
    block hashes tell the branches apart."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)
        # The node is never asked anything: batches are handed to the commit directly.
        self.indexer = Indexer(
            Web3(), self.sessions, IndexerConfig(contracts={}, start_block=START, confirmations=0)
        )
        self.head = START - 1
        self.hashes: dict[int, str] = {}
        self.forks = 0

    def index(self, events: list[DecodedEvent], *, batch_blocks: int, depth: int) -> None:
        """Indexes the branch in batches of `batch_blocks` blocks, each journaling the
        blocks above `depth` below its last block (as the indexer does at the head)."""
        last_block = max(e.block_number for e in events)
        for number in range(self.head + 1, last_block + 1):
            self.hashes[number] = f"0x{self.forks:04x}{number:060x}"
        events = [
            DecodedEvent(e.contract, e.name, e.args, e.block_number, self.hashes[e.block_number],
                         e.tx_hash, e.log_index)
            for e in events
        ]  # fmt: skip
        for first in range(self.head + 1, last_block + 1, batch_blocks):
            last = min(first + batch_blocks - 1, last_block)
            batch = [e for e in events if first <= e.block_number <= last]
            assert self.indexer._commit(first, last, self.hashes[last], batch, last - depth)
        self.head = last_block

    def journal_floor(self) -> int:
        with self.sessions() as session:
            checkpoint = session.get(IndexerCheckpoint, 1)
            assert checkpoint is not None
            return checkpoint.journal_floor

    def reorg(self, fork: int) -> None:
        with self.sessions() as session, session.begin():
            roll_back(session, fork, self.hashes.get(fork, ""), start_block=START)
        self.head = max(fork, START - 1)
        self.forks += 1


def snapshot(connection: Connection) -> dict[str, list[str]]:
    """Every projection row (surrogate ids left out: they depend on insertion order) and
    every fault, as sorted text."""
    tables: dict[str, list[str]] = {}
    for table in PROJECTION_TABLES:
        columns = [c for c in table.columns if c.name != "id" or table.name == "proposals"]
        rows = connection.execute(select(*columns)).all()
        tables[table.name] = sorted(json.dumps([str(v) for v in row]) for row in rows)
    faults = connection.execute(
        select(IndexerFault.block_number, IndexerFault.tx_hash, IndexerFault.log_index)
    ).all()
    tables["indexer_faults"] = sorted(json.dumps(list(f)) for f in faults)
    return tables


def replayed(engine: Engine) -> dict[str, list[str]]:
    """The read model a replay of the whole feed gives (not kept)."""
    with session_factory(engine)() as session:
        session.begin()
        rebuild_projections(session)
        session.flush()
        tables = snapshot(session.connection())
        session.rollback()
    return tables


def current(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as connection:
        return snapshot(connection)


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        models = (ChainEvent, IndexedBlock, IndexerCheckpoint, IndexerFault, ProjectionJournal,
                  Operation)  # fmt: skip
        for table in [*PROJECTION_TABLES, *(cast(Table, m.__table__) for m in models)]:
            connection.execute(delete(table))


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('journal') / 'index.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def reorgs_match_a_replay(engine: Engine, data: st.DataObject) -> None:
    """Two rounds of: index a branch, fork at any block the journal covers; after each
    fork the read model is exactly a replay of the surviving feed."""
    empty(engine)
    chain = Chain(engine)
    for _ in range(2):
        events = data.draw(branch(chain.head + 1), label="events")
        chain.index(
            events,
            batch_blocks=data.draw(st.integers(1, 4), label="batch blocks"),
            depth=data.draw(st.integers(1, 12), label="journal depth"),
        )
        fork = data.draw(st.integers(chain.journal_floor(), chain.head), label="fork")
        chain.reorg(fork)
        assert current(engine) == replayed(engine)
        with engine.connect() as connection:
            above = select(func.count()).where(ChainEvent.block_number > fork)
            assert connection.scalar(above) == 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_rollback_gives_exactly_the_read_model_of_a_replay_of_the_surviving_feed(
    sqlite_engine: Engine, data: st.DataObject
) -> None:
    reorgs_match_a_replay(sqlite_engine, data)


@pytest.mark.integration
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_rollback_gives_the_read_model_of_a_replay_on_postgresql(
    postgres_url: str, data: st.DataObject
) -> None:
    upgrade(postgres_url)  # once: the same database for every example
    engine = create_db_engine(postgres_url)
    try:
        reorgs_match_a_replay(engine, data)
    finally:
        engine.dispose()


# ---- what the journal does and does not touch ----------------------------------------------


def admitted(block: int, account: str, name: str, legal_id: str, log: int = 0) -> DecodedEvent:
    args = {"account": account, "name": name, "legalIdHash": legal_id, "kycHash": HASHES[0],
            "roles": 1}  # fmt: skip
    tx = f"0x{block:062x}{log:02x}"
    return DecodedEvent("ConsortiumRegistry", "MemberAdmitted", args, block, "", tx, log)


def kyc_updated(block: int, account: str, kyc: str) -> DecodedEvent:
    args = {"account": account, "kycHash": kyc}
    tx = f"0x{block:064x}"
    return DecodedEvent("ConsortiumRegistry", "MemberKycUpdated", args, block, "", tx, 0)


def three_blocks(chain: Chain, *, depth: int) -> None:
    """Block 10 admits a and c, 11 changes a's KYC, 12 admits b."""
    a, b, c = ACCOUNTS
    events = [admitted(10, a, "A", "0x01"), admitted(10, c, "C", "0x03", log=1),
              kyc_updated(11, a, HASHES[1]), admitted(12, b, "B", "0x02")]  # fmt: skip
    chain.index(events, batch_blocks=3, depth=depth)


def test_a_reorg_within_the_journal_rewrites_nothing_below_the_fork(
    sqlite_engine: Engine,
) -> None:
    """A row no block above the fork touched, which differs from what its events say
    (changed by hand), stays as it is: the rollback undid the blocks above the fork, it did
    not replay the feed."""
    empty(sqlite_engine)
    chain = Chain(sqlite_engine)
    three_blocks(chain, depth=64)
    with chain.sessions() as session, session.begin():
        session.execute(update(Member).where(Member.address == ACCOUNTS[2]).values(name="mark"))

    chain.reorg(10)

    with chain.sessions() as session:
        members = {m.address: (m.name, m.kyc_hash) for m in session.scalars(select(Member))}
        assert members == {
            ACCOUNTS[0]: ("A", HASHES[0]),  # its KYC change of block 11 undone
            ACCOUNTS[2]: ("mark", HASHES[0]),
        }
        assert set(session.scalars(select(ProjectionJournal.block_number))) == {10}
        checkpoint = session.get(IndexerCheckpoint, 1)
        assert checkpoint is not None
        assert (checkpoint.block_number, checkpoint.journal_floor) == (10, START - 1)


def test_a_reorg_deeper_than_the_journal_replays_the_feed(sqlite_engine: Engine) -> None:
    """Journaling only the newest block, a fork two blocks back is below the journal: the
    projections are replayed from the feed (the hand-made change is gone with them)."""
    empty(sqlite_engine)
    chain = Chain(sqlite_engine)
    three_blocks(chain, depth=1)  # block 12 journaled, the floor at 11
    with chain.sessions() as session, session.begin():
        session.execute(update(Member).where(Member.address == ACCOUNTS[2]).values(name="mark"))
        checkpoint = session.get(IndexerCheckpoint, 1)
        assert checkpoint is not None
        assert checkpoint.journal_floor == 11
        blocks = set(session.scalars(select(ProjectionJournal.block_number)))
        assert blocks == {12}

    chain.reorg(10)

    with chain.sessions() as session:
        members = {m.address: (m.name, m.kyc_hash) for m in session.scalars(select(Member))}
        assert members == {ACCOUNTS[0]: ("A", HASHES[0]), ACCOUNTS[2]: ("C", HASHES[0])}
        checkpoint = session.get(IndexerCheckpoint, 1)
        assert checkpoint is not None
        assert (checkpoint.block_number, checkpoint.journal_floor) == (10, 10)


def test_the_journal_keeps_only_the_blocks_a_reorg_may_still_replace(
    sqlite_engine: Engine,
) -> None:
    """Batches journal the blocks above `last - depth` and prune the journal below."""
    empty(sqlite_engine)
    chain = Chain(sqlite_engine)
    events = [admitted(10 + i, ACCOUNTS[i % 3], f"M{i}", f"0x{i:02x}") for i in range(3)]
    events += [kyc_updated(13 + i, ACCOUNTS[i % 3], HASHES[1]) for i in range(3)]
    chain.index(events, batch_blocks=2, depth=2)  # batches 10-11, 12-13, 14-15

    with chain.sessions() as session:
        journaled = session.execute(
            select(ProjectionJournal.block_number, ProjectionJournal.previous).order_by(
                ProjectionJournal.block_number
            )
        ).all()
        checkpoint = session.get(IndexerCheckpoint, 1)
        assert checkpoint is not None
        assert (checkpoint.block_number, checkpoint.journal_floor) == (15, 13)
    assert [block for block, _ in journaled] == [14, 15]
    assert all(previous is not None and previous["kyc_hash"] == HASHES[0]
               for _, previous in journaled)  # fmt: skip


def test_operations_mined_above_the_fork_are_submitted_again(sqlite_engine: Engine) -> None:
    """In the rollback's transaction: mined and indexed operations above the fork go back
    to the confirmer (submitted, no block); those at or below it, and the others, stay."""
    empty(sqlite_engine)
    chain = Chain(sqlite_engine)
    three_blocks(chain, depth=64)
    rows = {"at-fork": ("indexed", 11), "mined-above": ("mined", 12),
            "indexed-above": ("indexed", 12), "failed-above": ("failed", 12),
            "submitted": ("submitted", None)}  # fmt: skip
    with chain.sessions() as session, session.begin():
        for key, (status, block) in rows.items():
            session.add(
                Operation(participant="core", idempotency_key=key, request_hash="0" * 64,
                          kind="issue", arguments={}, sender=ACCOUNTS[0], data=b"",
                          status=status, block_number=block, gas_used=block,
                          tx_hash=f"0x{len(key):064x}")
            )  # fmt: skip

    chain.reorg(11)

    with chain.sessions() as session:
        after = {
            op.idempotency_key: (op.status, op.block_number, op.gas_used, op.tx_hash is None)
            for op in session.scalars(select(Operation))
        }
    assert after == {
        "at-fork": ("indexed", 11, 11, False),
        "mined-above": ("submitted", None, None, False),
        "indexed-above": ("submitted", None, None, False),
        "failed-above": ("failed", 12, 12, False),
        "submitted": ("submitted", None, None, False),
    }
