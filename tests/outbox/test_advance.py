"""Queued operations (an ERP batch's lines) advanced together on a real node: estimated in
one JSON-RPC batch (a known-gas call simulated with its limit), consecutive nonces per
account in one transaction, one broadcast batch; a refused line fails alone, decoded, and
a node that goes away leaves everything queued to be sent once when it is back. On
PostgreSQL each account is a lane of its own, the lanes at once: nonces stay gap-free and
in queue order per account, and two gateways advancing the same lines send each once. A
confirming pass reads every submitted operation, a page at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hexbytes import HexBytes
from sqlalchemy import Engine, select

from scfledger.chain.known_gas import KNOWN_GAS
from scfledger.db.models import Operation, Transaction, new_id, utcnow
from scfledger.db.session import session_factory, transaction
from scfledger.keys.store import KeyStore
from scfledger.outbox.operation import to_json
from scfledger.outbox.pipeline import Pipeline
from scfledger.outbox.store import accept_queued, new_operation
from tests.support.anvil import AnvilNode
from tests.support.gateway import (
    LedgerOnNode,
    deploy_for_participants,
    h,
    make_keystore,
    make_pipeline,
    migrated_engine,
)

pytestmark = pytest.mark.integration

NAMES = ["core0", "core1", "core2", "core3"]


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return make_keystore(tmp_path / "keys", NAMES)


@pytest.fixture
def ledger(anvil: AnvilNode, keys: KeyStore) -> LedgerOnNode:
    return deploy_for_participants(anvil.url, {name: keys.address(name) for name in NAMES})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = migrated_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pipeline(ledger: LedgerOnNode, engine: Engine, keys: KeyStore) -> Iterator[Pipeline]:
    pipeline = make_pipeline(ledger.url, engine, keys)
    yield pipeline
    pipeline.stop()


def queue(
    pipeline: Pipeline, ledger: LedgerOnNode, keys: KeyStore, lines: list[tuple[str, bytes]]
) -> list[str]:
    """Queued operations as a batch writes them (no gas, no nonce): issues of `lines`,
    created in the order of `lines` (oldest first)."""
    rows = []
    start = utcnow()
    for n, (name, document) in enumerate(lines):
        call = ledger.issue(name, n, document=document)
        rows.append(
            new_operation(
                id=new_id(),
                participant=name,
                idempotency_key=f"line-{n}",
                request_hash=f"hash-{n}",
                kind="receivable.issue",
                arguments={
                    "contract": call.contract,
                    "function": call.function,
                    "args": to_json(call.args),
                },
                sender=keys.address(name),
                to_address=call.address,
                data=call.calldata(),
                gas_limit=None,
                created_at=start + timedelta(milliseconds=n),
            )
        )
    with transaction(pipeline.sessions) as session:
        accept_queued(session, rows)
    return [row["id"] for row in rows]


def test_queued_lines_take_consecutive_nonces_and_a_refused_one_fails_alone(
    pipeline: Pipeline, ledger: LedgerOnNode, keys: KeyStore, engine: Engine
) -> None:
    w3 = pipeline.w3
    first = {name: int(w3.eth.get_transaction_count(keys.address(name))) for name in NAMES}
    taken = h("already-issued")
    pipeline.submit(
        participant="core1",
        idempotency_key="before",
        call=ledger.issue("core1", 99, document=taken),
    )
    first["core1"] += 1
    lines = [
        ("core0", h(f"doc-{n}")) if n % 2 == 0 else ("core1", h(f"doc-{n}")) for n in range(10)
    ]
    lines[5] = ("core1", taken)  # the same document again: DuplicateDocument
    ids = queue(pipeline, ledger, keys, lines)

    assert pipeline.process_queued() == 10

    ops = [pipeline.wait(i, timeout=60) for i in ids]
    refused = ops[5]
    assert refused.status == "failed"
    assert refused.error_name == "DuplicateDocument"
    assert refused.nonce is None
    assert refused.tx_hash is None
    mined = [op for n, op in enumerate(ops) if n != 5]
    assert {op.status for op in mined} == {"mined"}
    for name in NAMES:  # consecutive nonces, no hole where the refused line was
        nonces = [
            op.nonce
            for op, (who, _) in zip(ops, lines, strict=True)
            if who == name and op.nonce is not None
        ]
        assert nonces == list(range(first[name], first[name] + len(nonces)))
        assert w3.eth.get_transaction_count(keys.address(name)) == first[name] + len(nonces)
    # The issues were simulated with their known gas, not estimated.
    with session_factory(engine)() as session:
        limits = session.scalars(
            select(Operation.gas_limit).where(Operation.id.in_([op.id for op in mined]))
        )
        assert set(limits) == {KNOWN_GAS[("ReceivableToken", "issue")]}
    assert pipeline.process_queued() == 0  # nothing left, nothing sent twice


def test_a_node_gone_mid_batch_leaves_the_lines_queued_and_they_go_out_once_it_is_back(
    pipeline: Pipeline, ledger: LedgerOnNode, keys: KeyStore, anvil: AnvilNode
) -> None:
    ids = queue(pipeline, ledger, keys, [("core0", h(f"gone-{n}")) for n in range(6)])
    address = keys.address("core0")
    nonce = pipeline.w3.eth.get_transaction_count(address)
    anvil.stop()
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011  # the loop's backoff handles it
            pipeline.process_queued()
        assert {pipeline.get(i).status for i in ids} == {"queued"}
        assert {pipeline.get(i).nonce for i in ids} == {None}
    finally:
        anvil.start()

    assert pipeline.process_queued() == 6
    ops = [pipeline.wait(i, timeout=60) for i in ids]
    assert {op.status for op in ops} == {"mined"}
    assert sorted(-1 if op.nonce is None else op.nonce for op in ops) == list(
        range(nonce, nonce + 6)
    )
    assert pipeline.w3.eth.get_transaction_count(address) == nonce + 6


def _sent_in_queue_order(
    engine: Engine, ids: list[str], lines: list[tuple[str, bytes]], first: dict[str, int]
) -> None:
    """Every line's operation has one transaction; each account's nonces are consecutive
    from `first`, in the order its lines were queued."""
    with session_factory(engine)() as session:
        rows = session.execute(select(Operation.id, Operation.nonce).where(Operation.id.in_(ids)))
        nonces = {operation_id: nonce for operation_id, nonce in rows}
        sent = list(
            session.scalars(
                select(Transaction.operation_id).where(Transaction.operation_id.in_(ids))
            )
        )
    assert sorted(sent) == sorted(i for i in ids if nonces[i] is not None)  # one each
    for name in {who for who, _ in lines}:
        mine = [nonces[i] for i, (who, _) in zip(ids, lines, strict=True) if who == name]
        taken = [n for n in mine if n is not None]
        assert taken == list(range(first[name], first[name] + len(taken))), name


def test_lanes_of_several_accounts_at_once_keep_each_accounts_nonces_gap_free_and_in_order(
    ledger: LedgerOnNode, pg_engine: Engine, keys: KeyStore
) -> None:
    """Four accounts' lines interleaved, two refused on the way, advanced by two gateways
    at once (each with a lane per account): every line is sent once, by one of them."""
    gateways = [make_pipeline(ledger.url, pg_engine, keys, lanes=4) for _ in range(2)]
    w3 = gateways[0].w3
    first = {name: int(w3.eth.get_transaction_count(keys.address(name))) for name in NAMES}
    taken = h("lanes-taken")
    gateways[0].submit(
        participant="core2", idempotency_key="before", call=ledger.issue("core2", 0, document=taken)
    )
    first["core2"] += 1
    lines = [(NAMES[n % 4], h(f"lane-{n}")) for n in range(120)]
    lines[9] = ("core2", taken)  # DuplicateDocument (its issuer has it): no nonce spent
    lines[10] = ("core2", taken)
    ids = queue(gateways[0], ledger, keys, lines)
    for gateway in gateways:
        assert gateway.intake.lanes == 4
    moved = [0, 0]
    start = threading.Barrier(2)

    def advance(n: int) -> None:
        start.wait()
        moved[n] = gateways[n].process_queued()

    threads = [threading.Thread(target=advance, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sum(moved) == 120  # each line moved by one gateway only
        _sent_in_queue_order(pg_engine, ids, lines, first)
        ops = [gateways[0].wait(i, timeout=60) for i in ids]
        assert [op.error_name for op in (ops[9], ops[10])] == ["DuplicateDocument"] * 2
        assert {op.status for n, op in enumerate(ops) if n not in (9, 10)} == {"mined"}
        for name in NAMES:
            count = sum(1 for n, (who, _) in enumerate(lines) if who == name and n not in (9, 10))
            assert w3.eth.get_transaction_count(keys.address(name)) == first[name] + count
        assert [gateway.process_queued() for gateway in gateways] == [0, 0]
    finally:
        for gateway in gateways:
            gateway.stop()


def test_a_running_pipeline_sends_lanes_through_its_sender_thread_in_nonce_order(
    ledger: LedgerOnNode, pg_engine: Engine, keys: KeyStore
) -> None:
    pipeline = make_pipeline(ledger.url, pg_engine, keys, lanes=4)
    w3 = pipeline.w3
    first = {name: int(w3.eth.get_transaction_count(keys.address(name))) for name in NAMES}
    lines = [(NAMES[(n * 7) % 4 if n % 3 else 0], h(f"running-{n}")) for n in range(90)]
    pipeline.start()
    try:
        ids = queue(pipeline, ledger, keys, lines)
        ops = [pipeline.wait(i, timeout=60) for i in ids]
    finally:
        pipeline.stop()
    assert {op.status for op in ops} == {"mined"}
    _sent_in_queue_order(pg_engine, ids, lines, first)
    for name in NAMES:
        count = sum(1 for who, _ in lines if who == name)
        assert w3.eth.get_transaction_count(keys.address(name)) == first[name] + count


def test_one_confirming_pass_reads_every_submitted_operation_a_page_at_a_time(
    pipeline: Pipeline, ledger: LedgerOnNode, keys: KeyStore
) -> None:
    lines = [(NAMES[n % 3], h(f"paged-{n}")) for n in range(11)]
    ids = queue(pipeline, ledger, keys, lines)
    assert pipeline.process_queued() == 11
    w3 = pipeline.w3
    for op in (pipeline.get(i) for i in ids):  # mined on the node (automine)
        assert op.tx_hash is not None
        receipt = w3.eth.wait_for_transaction_receipt(HexBytes(op.tx_hash), timeout=30)
        assert receipt["status"] == 1

    assert pipeline.confirm(limit=2) == 11  # six pages of two in one pass
    assert {pipeline.get(i).status for i in ids} == {"mined"}
