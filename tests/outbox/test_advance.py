"""Queued operations (an ERP batch's lines) advanced together on a real node: estimated in
one JSON-RPC batch (a known-gas call simulated with its limit), consecutive nonces per
account in one transaction, one broadcast batch; a refused line fails alone, decoded, and
a node that goes away leaves everything queued to be sent once when it is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from scfledger.chain.known_gas import KNOWN_GAS
from scfledger.db.models import Operation, new_id
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

NAMES = ["core0", "core1"]


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
def pipeline(ledger: LedgerOnNode, engine: Engine, keys: KeyStore) -> Iterator[Pipeline]:
    pipeline = make_pipeline(ledger.url, engine, keys)
    yield pipeline
    pipeline.stop()


def queue(
    pipeline: Pipeline, ledger: LedgerOnNode, keys: KeyStore, lines: list[tuple[str, bytes]]
) -> list[str]:
    """Queued operations as a batch writes them (no gas, no nonce): issues of `lines`."""
    rows = []
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
