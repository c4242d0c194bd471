"""The indexer on a real node (anvil) into SQLite and real PostgreSQL: every event type,
batches, reconcile, a SIGKILLed indexer, a reorg, unknown logs and an unreachable node."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, Table, delete, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner
from web3 import HTTPProvider, Web3

from scfledger.chain.deploy import deploy_contract
from scfledger.cli import app
from scfledger.db.migrate import upgrade
from scfledger.db.models import Operation
from scfledger.db.projections import (
    PROJECTION_TABLES,
    ChainEvent,
    EscrowBalance,
    FinancingHistory,
    FinancingOffer,
    FinancingRequest,
    IndexedBlock,
    IndexerCheckpoint,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
    SettlementHistory,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.indexer.projector import HANDLERS
from scfledger.indexer.reconcile import reconcile
from scfledger.network.anvil import anvil_node
from tests.support.indexer import (
    assert_index_matches_chain,
    differences,
    indexer_for,
    write_manifest,
)
from tests.support.ledger import Consortium, deploy_consortium, h
from tests.support.story import run_story
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def story() -> Iterator[Consortium]:
    """Anvil with the ledger deployed (settlement off-chain, confirmed by the payees) and
    the whole story run."""
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        run_story(c)
        yield c


def read_model_checksum(engine: Engine) -> str:
    """SHA-256 over every row of every projection and the feed, in key order."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        tables = [*PROJECTION_TABLES, cast(Table, ChainEvent.__table__)]
        for table in tables:
            # Surrogate ids (feed cursors, log rows) depend on insertion order: left out, and
            # the rows sorted by their text (PostgreSQL cannot order JSON columns).
            columns = [c for c in table.columns if c.name != "id" or table.name == "proposals"]
            rows = sorted(
                json.dumps([str(v) for v in row]) for row in connection.execute(select(*columns))
            )
            for row_text in rows:
                digest.update(f"{table.name}:{row_text}".encode())
    return digest.hexdigest()


def test_story_is_projected_event_by_event_and_reconciles(story: Consortium, db_url: str) -> None:
    c = story
    engine = create_db_engine(db_url)
    indexer = indexer_for(c, engine, max_batch_size=5)
    indexer.catch_up()
    assert indexer.stats.batches > 15  # small batches: the story spans many of them
    assert indexer.lag() == 0
    with session_factory(engine)() as session:
        fed = {
            (row[0], row[1])
            for row in session.execute(select(ChainEvent.contract, ChainEvent.name))
        }
        # The deposit token's escrow is projected in test_escrow_and_on_chain_settlement...
        assert {k for k in HANDLERS if k[0] != "DepositToken"} <= fed
        diffs = reconcile(
            session,
            registry=c.registry,
            token=c.token,
            financing=c.financing,
            at_block=c.w3.eth.block_number,
            set_off=c.set_off,
        )
        assert diffs == []
        # Each block with events keeps its time (statements date their lines by it).
        times = dict(session.execute(select(IndexedBlock.number, IndexedBlock.timestamp)).all())
        blocks = set(session.scalars(select(ChainEvent.block_number)))
        assert blocks
        chain_times = {n: c.w3.eth.get_block(n)["timestamp"] for n in blocks}
        assert {n: times[n] for n in blocks} == chain_times
    # Blocks indexed before their time was kept get it once the index is caught up.
    with session_factory(engine)() as session, session.begin():
        session.execute(update(IndexedBlock).values(timestamp=None))
    assert indexer.step() == 0
    with session_factory(engine)() as session:
        times = dict(session.execute(select(IndexedBlock.number, IndexedBlock.timestamp)).all())
    assert {n: times[n] for n in blocks} == chain_times
    with session_factory(engine)() as session:
        lapsed, slot = session.get(Receivable, 1), session.get(Receivable, 2)
        assert lapsed is not None
        assert slot is not None
        assert lapsed.status == "expired"
        assert (slot.status, slot.settled_value, slot.face_amount) == (
            "settled",
            1_000_000,
            1_000_000,
        )
        # root 2, tier2 5, tier3 6, refused 7, recalled 8, spare 9
        returned = {p.token_id: (p.state, p.value, p.sender) for p in _pieces(session, 7, 8)}
        assert returned == {7: ("rejected", 0, None), 8: ("cancelled", 0, None)}
        kinds = session.scalars(
            select(PieceTransfer.kind).where(PieceTransfer.from_token_id.in_([7, 8]))
        ).all()
        assert kinds == ["return", "return"]
        settlements = session.scalars(select(Settlement).order_by(Settlement.token_id)).all()
        assert [(s.token_id, s.holder, s.amount, s.status, s.deemed) for s in settlements] == [
            (2, c.supplier1, 500_000, "settled", False),
            (5, c.supplier2, 250_000, "settled", False),
            (6, c.supplier3, 150_000, "settled", False),
            (9, c.supplier4, 100_000, "settled", True),
        ]
        pledged = settlements[1]
        assert (pledged.lien_holder, pledged.lien_amount) == (c.bank, 206_000)
        disputed = session.scalars(
            select(SettlementHistory.status)
            .where(SettlementHistory.token_id == 6)
            .order_by(SettlementHistory.id)
        ).all()
        assert disputed == ["submitted", "disputed", "submitted", "confirmed"]
        assert settlements[2].dispute_reason is None  # the second payment was confirmed
        statuses = session.scalars(
            select(FinancingHistory.status).order_by(FinancingHistory.id)
        ).all()
        assert statuses.count("funded") == 3
        assert {"withdrawn", "rejected", "expired", "repaid", "settled", "recourse_claimed"} <= set(
            statuses
        )
        factoring = session.scalars(
            select(FinancingRequest).where(FinancingRequest.recourse.is_(True))
        ).one()
        offers = session.scalars(
            select(FinancingOffer)
            .where(FinancingOffer.request_id == factoring.id)
            .order_by(FinancingOffer.financier)
        ).all()
        by_financier = {o.financier: (o.status, o.advance, o.fees) for o in offers}
        asked = factoring.asked_advance
        assert by_financier == {
            c.bank: ("made", asked - 5_000, 1_000),
            c.bank2: ("made", asked, factoring.asked_fees),
        }
        assert (factoring.financier, factoring.advance, factoring.fees) == (
            c.bank,
            asked - 5_000,
            1_000,
        )


def _pieces(session: Session, *token_ids: int) -> list[Piece]:
    return list(session.scalars(select(Piece).where(Piece.token_id.in_(token_ids))))


def test_escrow_and_on_chain_settlement_are_projected(db_url: str) -> None:
    """With the deposit token: a payment owed to a suspended lien holder waits in escrow
    until it claims it, reinstated; settlement is paid at once, no confirmation."""
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)), dvp=True)
        _, root = c.issue_active(amount=1_000_000)
        c.request_funded(root, financier="bank2", amount=500_000, pledge=True)
        c.govern(c.registry.functions.suspendMember(c.bank2, h("review")))
        c.settle([root])
        engine = create_db_engine(db_url)
        indexer = indexer_for(c, engine, batch_size=500)
        indexer.catch_up()
        with session_factory(engine)() as session:
            escrow = session.get(EscrowBalance, c.bank2)
            assert escrow is not None
            assert escrow.amount == 515_000
            settled = session.get(Settlement, root)
            assert settled is not None
            assert (settled.status, settled.paid_on_chain, settled.amount) == (
                "settled",
                True,
                1_000_000,
            )
            assert (settled.lien_holder, settled.lien_amount) == (c.bank2, 515_000)
            assert (
                reconcile(
                    session,
                    registry=c.registry,
                    token=c.token,
                    financing=c.financing,
                    deposit_token=c.cash,
                    at_block=c.w3.eth.block_number,
                )
                == []
            )
        c.govern(c.registry.functions.reinstateMember(c.bank2))
        c.tx(c.cash.functions.claimEscrow(), c.bank2)
        indexer.catch_up()
        with session_factory(engine)() as session:
            escrow = session.get(EscrowBalance, c.bank2)
            assert escrow is not None
            assert escrow.amount == 0
            fed = {
                (r[0], r[1]) for r in session.execute(select(ChainEvent.contract, ChainEvent.name))
            }
            assert {k for k in HANDLERS if k[0] == "DepositToken"} <= fed
            session.execute(update(EscrowBalance).values(amount=7))
            diffs = reconcile(
                session,
                registry=c.registry,
                token=c.token,
                financing=c.financing,
                deposit_token=c.cash,
                at_block=c.w3.eth.block_number,
            )
            assert [(d.kind, d.key, d.field, d.indexed, d.on_chain) for d in diffs] == [
                ("escrow", c.bank2, "amount", 7, 0)
            ]


def test_reconcile_reports_a_row_that_differs_from_the_chain(
    story: Consortium, db_url: str
) -> None:
    c = story
    engine = create_db_engine(db_url)
    indexer_for(c, engine, batch_size=500).catch_up()
    with session_factory(engine)() as session, session.begin():
        session.execute(update(Piece).where(Piece.token_id == 2).values(holder=c.outsider))
    with session_factory(engine)() as session:
        diffs = differences(session, c)
    assert [(d.kind, d.key, d.field, d.indexed) for d in diffs] == [
        ("piece", "2", "holder", c.outsider)
    ]


def test_sigkilled_indexer_resumes_to_the_same_read_model_as_a_clean_run(
    story: Consortium, tmp_path: Path
) -> None:
    c = story
    clean = create_db_engine(f"sqlite:///{tmp_path / 'clean.sqlite3'}")
    upgrade(str(clean.url))
    indexer_for(c, clean, batch_size=3).catch_up()

    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    upgrade(url)
    manifest, rpc = write_manifest(c, tmp_path)
    scf = str(Path(sys.executable).parent / "scf")
    command = [scf, "index", "--rpc", rpc, "--manifest", str(manifest), "--db", url,
               "--batch-size", "1", "--max-batch-size", "1", "--once"]  # fmt: skip
    killed = create_db_engine(url)
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def indexed_twenty_blocks() -> bool:
        assert proc.poll() is None, "the indexer finished before it could be killed"
        with killed.connect() as connection:
            done = connection.scalar(select(IndexerCheckpoint.block_number))
        return done is not None and done >= c.ledger.deployment_block + 20

    eventually(
        indexed_twenty_blocks,
        what="the indexer to pass 20 blocks after the deployment",
        timeout=60,
        interval=0.02,
    )
    assert proc.poll() is None, "the indexer finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with killed.connect() as connection:
        stopped_at = connection.scalar(select(IndexerCheckpoint.block_number))
    assert stopped_at is not None
    assert stopped_at < c.w3.eth.block_number
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert read_model_checksum(killed) == read_model_checksum(clean)


def test_two_indexers_on_one_database_project_each_event_once(
    story: Consortium, db_url: str, tmp_path: Path
) -> None:
    """Two gateway processes each run an indexer on the same database: they take turns
    (one writer at a time) and a batch read before the other's commit is dropped."""
    c = story
    clean = create_db_engine(f"sqlite:///{tmp_path / 'clean.sqlite3'}")
    upgrade(str(clean.url))
    indexer_for(c, clean, batch_size=50).catch_up()

    engines = [create_db_engine(db_url) for _ in range(2)]
    indexers = [indexer_for(c, e, batch_size=2, max_batch_size=2) for e in engines]
    barrier = threading.Barrier(len(indexers))
    errors: list[BaseException] = []

    def run(indexer: Indexer) -> None:
        barrier.wait()
        try:
            indexer.catch_up()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in indexers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(i.stats.batches for i in indexers) >= indexers[0].lag() + 10  # both wrote
    assert min(i.stats.batches for i in indexers) > 0
    assert read_model_checksum(engines[0]) == read_model_checksum(clean)
    with session_factory(engines[0])() as session:
        diffs = reconcile(
            session,
            registry=c.registry,
            token=c.token,
            financing=c.financing,
            at_block=c.w3.eth.block_number,
            set_off=c.set_off,
        )
    assert diffs == []


def test_reorg_is_rolled_back_and_the_new_branch_indexed(db_url: str) -> None:
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        engine = create_db_engine(db_url)
        indexer = indexer_for(c, engine, batch_size=50)
        _, root = c.issue_active(amount=1000)
        snapshot = c.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        orphan = c.split(root, "supplier2", 300)
        c.issue(document=h("orphaned-invoice"))
        orphaned_block = c.w3.eth.get_block("latest")
        with session_factory(engine)() as session, session.begin():
            session.add(  # the gateway's operation of that issue, mined on the old branch
                Operation(participant="core", idempotency_key="orphaned", request_hash="0" * 64,
                          kind="issue", arguments={}, sender=c.core, data=b"", status="mined",
                          tx_hash="0x" + bytes(orphaned_block["transactions"][0]).hex(),  # type: ignore[arg-type]
                          block_number=orphaned_block["number"])
            )  # fmt: skip
        indexer.catch_up()
        with session_factory(engine)() as session:
            assert session.get(Piece, orphan) is not None
            assert session.scalar(select(Operation.status)) == "indexed"
        c.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        replacement = c.split(root, "supplier3", 100)
        c.split(root, "supplier4", 50)
        for _ in range(3):
            c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        indexer.catch_up()
        assert indexer.stats.reorgs == 1
        assert replacement == orphan  # same id, other holder: the branch really changed
        with session_factory(engine)() as session:
            piece = session.get(Piece, replacement)
            assert piece is not None
            assert (piece.holder, piece.value) == (c.supplier3, 100)
            assert (
                session.scalar(
                    select(Receivable).where(
                        Receivable.document_hash == "0x" + h("orphaned-invoice").hex()
                    )
                )
                is None
            )
            assert_index_matches_chain(session, c)
            # Its block is gone: the confirmer looks for its receipt again.
            operation = session.scalar(select(Operation))
            assert operation is not None
            assert (operation.status, operation.block_number) == ("submitted", None)


def test_unknown_logs_at_watched_addresses_are_skipped_and_counted(tmp_path: Path) -> None:
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        erc20 = deploy_contract(c.w3, "BaselineERC20", c.deployer)
        c.tx(erc20.functions.mint(c.supplier1, 100), c.supplier1)
        c.tx(erc20.functions.transfer(c.supplier2, 5), c.supplier1)
        engine = create_db_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
        upgrade(str(engine.url))
        # The ERC-20's Transfer has the ERC-721 topic but one topic fewer: not ours.
        config = IndexerConfig(contracts={"ReceivableToken": erc20.address}, start_block=0)
        indexer = Indexer(c.w3, session_factory(engine), config)
        indexer.catch_up()
        assert (indexer.stats.events, indexer.stats.skipped_logs) == (0, 2)


def test_unreachable_node_is_retried_with_backoff_without_ending_the_loop(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(str(engine.url))
    w3 = Web3(HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 1}))
    indexer = Indexer(w3, session_factory(engine), IndexerConfig(contracts={}, start_block=0))
    attempts = iter(range(3))
    indexer.run(lambda: next(attempts, None) is None, poll_interval=0.01)
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from chain_events")).scalar() == 0


def test_scf_index_and_reconcile_commands(story: Consortium, tmp_path: Path) -> None:
    c = story
    runner = CliRunner()
    manifest, rpc = write_manifest(c, tmp_path)
    unmigrated = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    refused = runner.invoke(
        app,
        ["index", "--rpc", rpc, "--manifest", str(manifest), "--db", unmigrated, "--once"],
        env={"COLUMNS": "200"},
    )
    assert refused.exit_code == 2
    assert "run `scf db upgrade`" in " ".join(refused.output.split())  # rich wraps lines
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    upgrade(url)
    args = ["--rpc", rpc, "--manifest", str(manifest), "--db", url]
    indexed = runner.invoke(app, ["index", *args, "--once"])
    assert indexed.exit_code == 0, indexed.output
    assert "skipped logs" in indexed.output
    matched = runner.invoke(app, ["reconcile", *args])
    assert matched.exit_code == 0, matched.output
    assert "read model matches the chain" in matched.output
    engine = create_db_engine(url)
    with session_factory(engine)() as session, session.begin():
        session.execute(update(Receivable).where(Receivable.slot == 2).values(settled_value=1))
    differs = runner.invoke(app, ["reconcile", *args], env={"COLUMNS": "200"})
    assert differs.exit_code == 1
    assert "receivable 2: settled_value indexed=1 chain=1000000" in " ".join(differs.output.split())


def test_mined_operations_become_indexed_with_their_batch(
    story: Consortium, tmp_path: Path
) -> None:
    c = story
    url = f"sqlite:///{tmp_path / 'ops.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    issued = c.w3.eth.get_logs({"address": c.token.address, "fromBlock": 0, "toBlock": "latest"})[0]
    tx_hash = "0x" + bytes(issued["transactionHash"]).hex()
    with session_factory(engine)() as session, session.begin():
        for key, (status, hash_) in {
            "a": ("mined", tx_hash),
            "b": ("mined", "0x" + "ab" * 32),
        }.items():
            operation = Operation(
                participant="core",
                idempotency_key=key,
                request_hash="0" * 64,
                kind="issue",
                arguments={},
                sender=c.core,
                data=b"",
                status=status,
                tx_hash=hash_,
            )
            session.add(operation)
    indexer = indexer_for(c, engine, batch_size=500)
    indexer.catch_up()
    # The confirmer saw a receipt only after the indexer passed its block: no later batch
    # names that transaction, yet the next batch marks the operation by its block.
    late = c.w3.eth.get_transaction_receipt(issued["transactionHash"])
    with session_factory(engine)() as session, session.begin():
        session.add(
            Operation(
                participant="core",
                idempotency_key="c",
                request_hash="0" * 64,
                kind="issue",
                arguments={},
                sender=c.core,
                data=b"",
                status="mined",
                tx_hash=tx_hash,
                block_number=late["blockNumber"],
            )
        )
    c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    indexer.catch_up()
    with session_factory(engine)() as session:
        rows = session.execute(select(Operation.idempotency_key, Operation.status))
        statuses = {key: status for key, status in rows}
    assert statuses == {"a": "indexed", "b": "mined", "c": "indexed"}


def test_feed_cursors_are_never_reused_after_a_reorg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feed.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    row = {"block_hash": "0x" + "00" * 32, "contract": "ReceivableToken", "name": "X", "args": {}}
    with session_factory(engine)() as session, session.begin():
        session.add_all(
            [ChainEvent(block_number=n, tx_hash=f"0x{n}", log_index=0, **row) for n in (1, 2)]
        )
    with session_factory(engine)() as session, session.begin():
        session.execute(delete(ChainEvent).where(ChainEvent.block_number == 2))  # rolled back
        session.add(ChainEvent(block_number=2, tx_hash="0xnew", log_index=0, **row))
    with engine.connect() as connection:
        ids = connection.execute(select(ChainEvent.id).order_by(ChainEvent.id)).scalars().all()
    assert ids == [1, 3]
