"""Whatever a member makes the contracts emit, the indexer goes on: integers beyond 64 bits
are projected exactly, an event the read model cannot take is a recorded fault (metrics,
/readyz, `scf reconcile`), and reconcile fails while the index is behind the chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, delete, insert, select
from typer.testing import CliRunner
from web3 import HTTPProvider, Web3

from scfledger.api.app import create_app
from scfledger.app.compose import Deployment, build_gateway
from scfledger.chain.deployment import deployed_contracts
from scfledger.cli import app
from scfledger.config import Settings
from scfledger.db.migrate import upgrade
from scfledger.db.models import Operation
from scfledger.db.projections import IndexerFault, Member, Piece, Receivable
from scfledger.db.session import create_db_engine, session_factory
from scfledger.keys.store import KeyStore
from scfledger.money import as_decimal
from scfledger.network.anvil import anvil_node
from scfledger.risk.reports import aging
from tests.support.indexer import differences, indexer_for, write_manifest
from tests.support.ledger import SUPPLIER, Consortium, deploy_consortium, h

pytestmark = pytest.mark.integration

UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1


@pytest.fixture
def chain() -> Iterator[Consortium]:
    """A fresh anvil with the ledger deployed: each test writes its own history."""
    with anvil_node("--accounts", "20") as url:
        yield deploy_consortium(w3=Web3(HTTPProvider(url)))


def issue_directly(c: Consortium, *, due_date: int, amount: int = 1_000) -> tuple[int, int]:
    """core calls the contract itself with its own key (no gateway in between, so no API
    bound applies): returns (slot, root token id)."""
    c.tx(
        c.token.functions.issue(c.supplier1, amount, b"CNY", due_date, c.next_document()),
        c.core,
    )
    slot = c.token.functions.receivableCount().call()
    return slot, c.token.functions.lastTokenId().call()


def no_differences(c: Consortium, url: str) -> None:
    with session_factory(create_db_engine(url))() as session:
        diffs = differences(session, c)
    assert diffs == []


def served_health(c: Consortium, engine: Engine, tmp_path: Path) -> tuple[Response, str]:
    """`/readyz` and `/metrics` of a gateway over this chain and read model (its loops not
    started: the test drives the indexer)."""
    token = "metrics-token-for-tests"
    settings = Settings(
        chain_url=str(c.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        metrics_token=SecretStr(token),
    )
    gateway = build_gateway(
        settings,
        Deployment(dict(deployed_contracts(c.ledger)), c.ledger.deployment_block),
        engine=engine,
        keys=KeyStore(tmp_path / "keys", "test-passphrase-not-secret", scrypt_n=2**10),
    )
    with TestClient(create_app(gateway, run_workers=False)) as client:
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert metrics.status_code == 200, metrics.text
        return client.get("/readyz"), metrics.text


def test_far_due_dates_and_amounts_beyond_64_bits_are_projected_exactly_and_later_writes_too(
    chain: Consortium, db_url: str, tmp_path: Path
) -> None:
    """The attack of issue 12 wedged the indexer on a due date of 2^63 ("Python int too
    large to convert to SQLite INTEGER"), so nothing later was ever indexed. The contracts
    now bound due dates (MAX_TERM); amounts still go to 2^128 - 1, and the furthest due
    date must still be projected and compared exactly."""
    c = chain
    engine = create_db_engine(db_url)
    indexer = indexer_for(c, engine, batch_size=500)
    latest = c.now() + c.token.functions.MAX_TERM().call()
    far, _ = issue_directly(c, due_date=latest)
    huge, huge_root = issue_directly(c, due_date=latest - 1, amount=UINT128_MAX)
    c.tx(c.token.functions.accept(huge), c.supplier1)
    huge_child = c.split(huge_root, "supplier2", 2**127)
    normal, normal_root = c.issue_active(amount=5_000)
    normal_child = c.split(normal_root, "supplier3", 1_500, sign=False)
    split_tx = "0x" + bytes(c.w3.eth.get_block("latest")["transactions"][0]).hex()  # type: ignore[arg-type]
    with session_factory(engine)() as session, session.begin():
        session.add(  # the gateway's operation of that split, mined, waiting to be indexed
            Operation(participant="supplier1", idempotency_key="split", request_hash="0" * 64,
                      kind="transfer", arguments={}, sender=c.supplier1, data=b"",
                      status="mined", tx_hash=split_tx)
        )  # fmt: skip
    c.tx(c.token.functions.acceptPiece(normal_child), c.supplier3)

    indexer.catch_up()

    assert (indexer.lag(), indexer.fault_count()) == (0, 0)
    no_differences(c, db_url)
    with session_factory(engine)() as session:
        assert session.scalar(select(Operation.status)) == "indexed"
    ready, metrics = served_health(c, engine, tmp_path)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert "scf_indexer_faults 0.0" in metrics
    with session_factory(engine)() as session:
        due = dict(session.execute(select(Receivable.slot, Receivable.due_date)).all())
        assert (due[far], due[huge]) == (latest, latest - 1)
        face = session.get(Receivable, huge)
        assert face is not None
        assert face.face_amount == UINT128_MAX
        values = {
            p.token_id: p.value
            for p in session.scalars(select(Piece).where(Piece.slot.in_([huge, normal])))
        }
        assert values == {
            huge_root: UINT128_MAX - 2**127,
            huge_child: 2**127,
            normal_root: 3_500,
            normal_child: 1_500,
        }
        # Ranges and order over the due dates are numeric on both databases.
        beyond = select(Receivable.slot).where(Receivable.due_date >= latest - 1)
        assert set(session.scalars(beyond)) == {far, huge}
        by_due = session.scalars(select(Receivable.slot).order_by(Receivable.due_date.desc()))
        assert list(by_due)[:3] == [far, huge, normal]
        # Sums of amounts beyond 2^64 are exact (risk reports): every live piece is not due.
        rows = {row.bucket: row for row in aging(session, now=c.now()) if row.currency == "CNY"}
        assert (rows["not_due"].pieces, rows["not_due"].value) == (
            4,
            as_decimal(UINT128_MAX + 5_000, "CNY"),
        )


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 2**128, 2**256 - 1])
def test_chain_integers_round_trip_exactly_at_every_edge(db_url: str, value: int) -> None:
    """Columns of uint256 (amounts) and uint64 (dates) keep every value of their range,
    and compare as numbers (on SQLite they are text)."""
    engine = create_db_engine(db_url)
    date = value if value <= UINT64_MAX else UINT64_MAX
    row = {
        "debtor": "0xd",
        "creditor": "0xc",
        "currency": "CNY",
        "issue_date": 0,
        "document_hash": "0x",
        "root_token_id": 1,
        "status": "active",
        "issued_block": 1,
    }
    with session_factory(engine)() as session, session.begin():
        session.execute(
            insert(Receivable),
            [
                {**row, "slot": 1, "face_amount": value, "settled_value": 0, "due_date": date},
                {**row, "slot": 2, "face_amount": 1, "settled_value": value, "due_date": 10},
            ],
        )
    with session_factory(engine)() as session:
        stored = session.get(Receivable, 1)
        assert stored is not None
        assert (stored.face_amount, stored.due_date) == (value, date)
        assert type(stored.face_amount) is int
        assert session.scalar(select(Receivable.slot).where(Receivable.face_amount == value)) == 1
        above = select(Receivable.slot).where(Receivable.due_date > 10).order_by(Receivable.slot)
        assert list(session.scalars(above)) == ([1] if date > 10 else [])
        most = select(Receivable.slot).order_by(Receivable.settled_value.desc()).limit(1)
        assert session.scalar(most) == (2 if value > 0 else 1)


def test_an_event_that_cannot_be_projected_is_a_fault_and_the_rest_goes_on(
    chain: Consortium, db_url: str, tmp_path: Path
) -> None:
    """Two events the read model cannot take, in one batch with events it can: the index
    lacks root2's row (so root2's split and everything on its child are faults: signing
    for it, evidence, its own split), and holds a stray row where root1's split puts its
    child (the split fails when its child is written, after it took value from root1: that
    must not stay)."""
    c = chain
    engine = create_db_engine(db_url)
    indexer = indexer_for(c, engine, batch_size=500)
    _, root1 = c.issue_active(amount=1_000)
    _, root2 = c.issue_active(amount=2_000)
    indexer.catch_up()
    stray = c.token.functions.lastTokenId().call() + 1
    with session_factory(engine)() as session, session.begin():
        session.execute(delete(Piece).where(Piece.token_id == root2))
        session.add(
            Piece(token_id=stray, slot=99, holder=c.outsider, value=1, parent_token_id=None,
                  depth=0, state="active", created_block=0, updated_block=0)
        )  # fmt: skip
    broken = c.split(root1, "supplier2", 300)  # its child id is the stray row's
    assert broken == stray
    kept = c.split(root1, "supplier3", 100)
    orphan = c.split(root2, "supplier2", 500)
    c.tx(c.token.functions.attachEvidence(orphan, h("delivery-note")), c.supplier2)
    c.split(orphan, "supplier4", 200, sender="supplier2")
    later_slot, later_root = c.issue_active(amount=7_000)

    indexer.catch_up()

    assert indexer.lag() == 0
    with session_factory(engine)() as session:
        faults = session.scalars(select(IndexerFault).order_by(IndexerFault.id)).all()
        assert [(f.contract, f.name) for f in faults] == [
            ("ReceivableToken", "PieceSplit"),  # root1 -> stray: the child's row exists
            ("ReceivableToken", "PieceSplit"),  # root2 -> orphan: no row of root2
            ("ReceivableToken", "PieceAccepted"),  # supplier2 signs for orphan: no row
            ("ReceivableToken", "EvidenceAttached"),  # on orphan, which has no row
            ("ReceivableToken", "PieceSplit"),  # orphan -> supplier4
            ("ReceivableToken", "PieceAccepted"),  # supplier4 signs for it: no row
        ]
        duplicate = ("UNIQUE constraint failed: pieces.token_id", 'unique constraint "pk_pieces"')
        assert any(text in faults[0].error for text in duplicate), faults[0].error
        assert f"pieces has no row {root2}" in faults[1].error
        assert f"pieces has no row {orphan}" in faults[2].error
        assert f"pieces has no row {orphan}" in faults[3].error
        for fault in faults:
            block = c.w3.eth.get_block(fault.block_number)
            assert "0x" + bytes(block["hash"]).hex() == fault.block_hash
            receipt = c.w3.eth.get_transaction_receipt(fault.tx_hash)  # type: ignore[arg-type]
            assert fault.log_index in [log["logIndex"] for log in receipt["logs"]]
        # The failed split left root1 as it was; the next split of root1 is projected.
        # (The stray row took the signature for the split that failed: no fault, the row
        # exists; reconcile reports it.)
        pieces = {p.token_id: p for p in session.scalars(select(Piece))}
        assert pieces[root1].value == 1_000 - 100
        assert (pieces[kept].holder, pieces[kept].value) == (c.supplier3, 100)
        assert pieces[stray].holder == c.outsider  # the stray row, untouched
        assert orphan not in pieces
        assert pieces[later_root].value == 7_000  # events after the faults, same batch
        assert session.get(Receivable, later_slot) is not None

    # Later blocks go on (fast path again), and the faults stay recorded once.
    _, next_root = c.issue_active(amount=8_000)
    indexer.catch_up()
    assert indexer.fault_count() == 6
    with session_factory(engine)() as session:
        assert session.get(Piece, next_root) is not None

    # `scf reconcile` lists the faults and fails.
    manifest, rpc = write_manifest(c, tmp_path)
    result = CliRunner().invoke(
        app, ["reconcile", "--rpc", rpc, "--manifest", str(manifest), "--db", db_url],
        env={"COLUMNS": "400"},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert output.count("fault ReceivableToken.") == 6
    assert f"ReceivableToken.PieceSplit at block {faults[1].block_number}" in output
    assert f"piece {root1}: value indexed=900 chain=600" in output

    # /readyz: ready to serve, but degraded; /metrics counts the faults.
    ready, metrics = served_health(c, engine, tmp_path)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["indexer"] == {"ok": True, "lag": 0, "faults": 6}
    assert "scf_indexer_faults 6.0" in metrics
    assert "scf_indexer_lag_blocks 0.0" in metrics


def test_a_name_postgresql_cannot_hold_is_a_fault_and_a_reorg_drops_faults_above_the_fork(
    chain: Consortium, postgres_url: str
) -> None:
    """The admins may admit a member whose name holds a NUL character, which PostgreSQL
    text cannot: a fault that stays, while the same event on a rolled-back branch goes."""
    c = chain
    upgrade(postgres_url)
    engine = create_db_engine(postgres_url)
    indexer = indexer_for(c, engine, batch_size=500)
    accounts = c.w3.eth.accounts

    def admit(index: int, name: str) -> None:
        c.govern(
            c.registry.functions.admitMember(
                accounts[index], name, h(f"legal-{index}"), h(f"kyc-{index}"), SUPPLIER
            )
        )

    admit(15, "kept\x00fault")
    indexer.catch_up()
    snapshot = c.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    admit(16, "orphaned\x00fault")
    indexer.catch_up()
    with session_factory(engine)() as session:
        before = {f.block_number: f for f in session.scalars(select(IndexerFault))}
    assert len(before) == 2
    assert all("NUL" in f.error for f in before.values())
    c.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    admit(17, "plain")
    for _ in range(3):
        c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    indexer.catch_up()

    assert indexer.stats.reorgs == 1
    with session_factory(engine)() as session:
        after = session.scalars(select(IndexerFault)).all()
        assert [(f.block_number, f.first_seen) for f in after] == [
            (b, f.first_seen) for b, f in before.items() if b < max(before)
        ]
        names = set(session.scalars(select(Member.name)))
        assert "plain" in names
        assert not any("fault" in n for n in names)


def test_reconcile_fails_while_the_index_is_behind_the_confirmed_head(
    chain: Consortium, tmp_path: Path
) -> None:
    """Issue 12, finding 10: the index stopped at block 40 with the chain at 52, and
    reconcile said the read model matched and exited 0."""
    c = chain
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    upgrade(url)
    indexer_for(c, create_db_engine(url), batch_size=500).catch_up()  # then it stops
    indexed = c.w3.eth.block_number
    for _ in range(12):
        c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    manifest, rpc = write_manifest(c, tmp_path)
    args = ["reconcile", "--rpc", rpc, "--manifest", str(manifest), "--db", url]

    def run(*extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, [*args, *extra], env={"COLUMNS": "400"})
        return result.exit_code, " ".join(result.output.split())

    code, output = run()
    assert code == 1, output
    assert f"index at block {indexed}, confirmed head {indexed + 12} (0 confirmations)" in output
    assert "12 blocks behind the confirmed head, more than --max-lag 5" in output

    code, output = run("--confirmations", "8")  # confirmed head: 4 blocks ahead
    assert code == 0, output
    assert "4 blocks behind" in output
    assert "read model matches the chain" in output

    code, output = run("--max-lag", "12")
    assert code == 0, output
    code, output = run("--max-lag", "11")
    assert code == 1, output
