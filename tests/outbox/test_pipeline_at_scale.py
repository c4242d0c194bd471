"""The pipeline against a real node (anvil) and real databases: concurrency, processes, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from web3 import Web3

from scfledger.chain.deploy import contract_at
from scfledger.db.models import Operation, Transaction
from scfledger.db.session import session_factory
from scfledger.exceptions import ChainUnavailable, ContractRevert, IdempotencyConflict
from scfledger.keys.store import KeyStore
from scfledger.outbox.pipeline import Pipeline
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

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = [f"core{i}" for i in range(10)]
OPERATIONS = [(name, i) for i in range(20) for name in PARTICIPANTS]  # 200, interleaved


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return make_keystore(tmp_path / "keys", PARTICIPANTS)


@pytest.fixture
def ledger(anvil: AnvilNode, keys: KeyStore) -> LedgerOnNode:
    return deploy_for_participants(anvil.url, {name: keys.address(name) for name in PARTICIPANTS})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = migrated_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = migrated_engine(postgres_url)
    yield engine
    engine.dispose()


def submit_all(
    pipeline: Pipeline, ledger: LedgerOnNode, operations: list[tuple[str, int]]
) -> list[str]:
    def one(item: tuple[str, int]) -> str:
        name, index = item
        op = pipeline.submit(
            participant=name, idempotency_key=f"op-{name}-{index}", call=ledger.issue(name, index)
        )
        return op.id

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(one, operations))


def assert_each_mined_exactly_once(
    engine: Engine, ledger: LedgerOnNode, operations: list[tuple[str, int]]
) -> None:
    """Every operation mined, once: per account the nonces are 0..n-1 without gaps or
    repeats, the chain's nonce is exactly n (no transaction beyond the operations), and
    the contract holds one receivable per operation."""
    with session_factory(engine)() as session:
        ops = session.scalars(select(Operation)).all()
    assert sorted(op.idempotency_key for op in ops) == sorted(f"op-{n}-{i}" for n, i in operations)
    assert {op.status for op in ops} == {"mined"}
    assert len({op.tx_hash for op in ops}) == len(ops)
    nonces: dict[str, list[int]] = defaultdict(list)
    for op in ops:
        assert op.nonce is not None
        nonces[op.sender].append(op.nonce)
    w3 = Web3(Web3.HTTPProvider(ledger.url))
    for name, address in ledger.participants.items():
        mine = sorted(nonces[address])
        expected = sum(1 for n, _ in operations if n == name)
        assert mine == list(range(expected)), f"{name}: nonces {mine}"
        assert w3.eth.get_transaction_count(address) == expected
    token = contract_at(w3, "ReceivableToken", ledger.token)
    assert token.functions.receivableCount().call() == len(operations)
    for name, index in operations[:: max(1, len(operations) // 20)]:
        anchor = token.functions.anchorOf(
            h(f"invoice-{name}-{index}"), ledger.participants[name], ledger.supplier
        ).call()
        assert token.functions.slotOfAnchor(anchor).call() != 0


def test_200_concurrent_operations_from_10_participants_mine_with_contiguous_nonces(
    ledger: LedgerOnNode, keys: KeyStore, engine: Engine
) -> None:
    pipeline = make_pipeline(ledger.url, engine, keys)
    pipeline.start()
    try:
        ids = submit_all(pipeline, ledger, OPERATIONS)
        assert len(set(ids)) == 200
        for op_id in ids:
            pipeline.wait(op_id, timeout=120)
    finally:
        pipeline.stop()

    assert_each_mined_exactly_once(engine, ledger, OPERATIONS)


def test_concurrent_retries_of_one_key_make_one_transaction(
    ledger: LedgerOnNode, keys: KeyStore, pg_engine: Engine
) -> None:
    pipeline = make_pipeline(ledger.url, pg_engine, keys)
    pipeline.start()
    try:
        ids = submit_all(pipeline, ledger, [("core0", 0)] * 30 + [("core1", 0)] * 30)
        assert len(set(ids)) == 2
        for op_id in set(ids):
            pipeline.wait(op_id, timeout=60)
    finally:
        pipeline.stop()

    assert_each_mined_exactly_once(pg_engine, ledger, [("core0", 0), ("core1", 0)])


def _gateway_process(
    tmp_path: Path,
    name: str,
    ledger: LedgerOnNode,
    database_url: str,
    operations: list[tuple[str, int]],
    key_dir: Path,
    die_after: int | None = None,
) -> subprocess.Popen[str]:
    config = tmp_path / f"{name}.json"
    config.write_text(
        json.dumps(
            {
                "ledger": asdict(ledger),
                "database_url": database_url,
                "key_dir": str(key_dir),
                "operations": operations,
                "threads": 16,
                "die_after": die_after,
            }
        )
    )
    with (tmp_path / f"{name}.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.gateway_proc", str(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            # The tests package, before any source path the caller set (a worktree's src).
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
        )


def _finish(process: subprocess.Popen[str], tmp_path: Path, name: str) -> dict[str, object]:
    out, _ = process.communicate(timeout=150)
    assert process.returncode == 0, (tmp_path / f"{name}.log").read_text()[-3000:]
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_two_gateway_processes_on_one_postgres_share_nonces_and_idempotency_keys(
    tmp_path: Path, ledger: LedgerOnNode, keys: KeyStore, postgres_url: str
) -> None:
    migrated_engine(postgres_url).dispose()
    # 40 operations are given to both processes: a client retrying on another replica.
    first = _gateway_process(tmp_path, "a", ledger, postgres_url, OPERATIONS[:120], keys.directory)
    second = _gateway_process(tmp_path, "b", ledger, postgres_url, OPERATIONS[80:], keys.directory)

    assert _finish(first, tmp_path, "a") == {"operations": 120, "statuses": ["mined"]}
    assert _finish(second, tmp_path, "b") == {"operations": 120, "statuses": ["mined"]}

    engine = migrated_engine(postgres_url)
    try:
        assert_each_mined_exactly_once(engine, ledger, OPERATIONS)
    finally:
        engine.dispose()


def test_gateway_killed_mid_batch_and_restarted_mines_every_operation_once(
    tmp_path: Path, ledger: LedgerOnNode, keys: KeyStore, postgres_url: str
) -> None:
    engine = migrated_engine(postgres_url)
    # The gateway kills itself once 60 operations are accepted (at CI a kill sent from here
    # once came after all 200 were mined): the crash comes mid-batch on any machine.
    doomed = _gateway_process(
        tmp_path, "doomed", ledger, postgres_url, OPERATIONS, keys.directory, die_after=60
    )
    doomed.wait(timeout=120)
    assert doomed.returncode == -signal.SIGKILL, (tmp_path / "doomed.log").read_text()[-3000:]
    with session_factory(engine)() as session:
        by_status = dict(
            session.execute(select(Operation.status, func.count()).group_by(Operation.status)).all()
        )
    assert 60 <= sum(by_status.values()) < len(OPERATIONS), f"not mid-batch: {by_status}"

    # The clients retry everything they have no answer for, with the same keys.
    restarted = _gateway_process(
        tmp_path, "restarted", ledger, postgres_url, OPERATIONS, keys.directory
    )

    assert _finish(restarted, tmp_path, "restarted") == {"operations": 200, "statuses": ["mined"]}
    try:
        assert_each_mined_exactly_once(engine, ledger, OPERATIONS)
    finally:
        engine.dispose()


def test_node_down_requests_are_queued_and_sent_when_it_returns(
    anvil: AnvilNode, ledger: LedgerOnNode, keys: KeyStore, tmp_path: Path
) -> None:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    pipeline = make_pipeline(ledger.url, engine, keys)
    operations = [(name, i) for i in range(3) for name in PARTICIPANTS[:4]]
    try:
        first = pipeline.submit(
            participant="core0", idempotency_key="op-core0-99", call=ledger.issue("core0", 99)
        )
        assert pipeline.wait(first.id, timeout=30).status == "mined"
        anvil.stop()

        ids = submit_all(pipeline, ledger, operations)
        assert {pipeline.get(op_id).status for op_id in ids} == {"queued"}
        with pytest.raises(ChainUnavailable):
            pipeline.run_once()  # the background loop backs off and tries again
        assert {pipeline.get(op_id).status for op_id in ids} == {"queued"}

        anvil.start()
        pipeline.start()
        done = [pipeline.wait(op_id, timeout=60) for op_id in ids]
    finally:
        pipeline.stop()
        engine.dispose()

    assert {op.status for op in done} == {"mined"}
    assert sorted(op.nonce or 0 for op in done if op.participant == "core0") == [1, 2, 3]
    assert_each_mined_exactly_once(
        migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}"),
        ledger,
        [("core0", 99), *operations],
    )


def test_revert_on_a_real_node_is_the_contracts_error_with_its_arguments(
    ledger: LedgerOnNode, keys: KeyStore, tmp_path: Path
) -> None:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    pipeline = make_pipeline(ledger.url, engine, keys)
    document = h("the-same-invoice")
    first = pipeline.submit(
        participant="core0", idempotency_key="a", call=ledger.issue("core0", 1, document=document)
    )
    mined = pipeline.wait(first.id, timeout=30)
    token = contract_at(Web3(Web3.HTTPProvider(ledger.url)), "ReceivableToken", ledger.token)
    # An anchor binds the document to its debtor and creditor: core0 issuing it again collides.
    anchor = token.functions.anchorOf(document, ledger.participants["core0"], ledger.supplier)
    slot = token.functions.slotOfAnchor(anchor.call()).call()

    at_estimation = pipeline.submit(
        participant="core0", idempotency_key="b", call=ledger.issue("core0", 2, document=document)
    )
    in_block = pipeline.wait(
        pipeline.submit(
            participant="core0",
            idempotency_key="c",
            call=ledger.issue("core0", 3, document=document),
            gas=600_000,
        ).id,
        timeout=30,
    )

    assert mined.status == "mined"
    for op in (at_estimation, in_block):
        assert op.status == "failed"
        with pytest.raises(ContractRevert) as raised:
            op.raise_for_error()
        assert (raised.value.name, raised.value.values) == ("DuplicateDocument", (document, slot))
        assert raised.value.contract == "ReceivableToken"
    assert at_estimation.nonce is None  # no nonce spent: core0's next is 1
    assert in_block.nonce == 1
    assert in_block.block_number is not None
    engine.dispose()


def _rpc(url: str, method: str, *params: object) -> object:
    response = Web3(Web3.HTTPProvider(url)).provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response.get("result")


def test_dropped_transaction_is_rebroadcast_with_the_same_bytes(
    ledger: LedgerOnNode, keys: KeyStore, tmp_path: Path
) -> None:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    pipeline = make_pipeline(ledger.url, engine, keys, stuck_after=3600)
    _rpc(ledger.url, "evm_setAutomine", False)
    op = pipeline.submit(participant="core0", idempotency_key="a", call=ledger.issue("core0", 1))
    _rpc(ledger.url, "anvil_dropTransaction", op.tx_hash)

    pipeline.confirm()  # not stale yet: left alone
    assert _rpc(ledger.url, "eth_getTransactionByHash", op.tx_hash) is None
    restarted = make_pipeline(ledger.url, engine, keys, stuck_after=3600)
    restarted.recover()  # the node lost it: the stored bytes are sent again
    _rpc(ledger.url, "evm_mine")
    done = restarted.wait(op.id, timeout=30)
    engine.dispose()

    assert (done.status, done.tx_hash, done.nonce, done.attempts) == ("mined", op.tx_hash, 0, 1)


def test_stuck_transaction_is_replaced_with_the_same_nonce_and_higher_fees(
    ledger: LedgerOnNode, keys: KeyStore, tmp_path: Path
) -> None:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    pipeline = make_pipeline(ledger.url, engine, keys, stuck_after=3600)
    _rpc(ledger.url, "evm_setAutomine", False)
    op = pipeline.submit(participant="core0", idempotency_key="a", call=ledger.issue("core0", 1))

    restarted = make_pipeline(ledger.url, engine, keys, stuck_after=3600)
    restarted.recover()  # pending since before the restart: same nonce, fees raised
    replaced = restarted.get(op.id)
    _rpc(ledger.url, "evm_mine")
    done = restarted.wait(op.id, timeout=30)

    assert replaced.attempts == 2
    assert replaced.tx_hash != op.tx_hash
    assert (done.status, done.tx_hash, done.nonce) == ("mined", replaced.tx_hash, 0)
    w3 = Web3(Web3.HTTPProvider(ledger.url))
    assert w3.eth.get_transaction_count(ledger.participants["core0"]) == 1
    with session_factory(engine)() as session:
        sent = session.scalars(select(Transaction).order_by(Transaction.created_at)).all()
    assert [(t.tx_hash, t.nonce) for t in sent] == [(op.tx_hash, 0), (done.tx_hash, 0)]
    assert (sent[1].max_fee_per_gas or 0) > (sent[0].max_fee_per_gas or 0) > 0
    assert _rpc(ledger.url, "eth_getTransactionReceipt", op.tx_hash) is None
    engine.dispose()


def test_postgres_fast_path_takes_expected_nonces_and_falls_back_when_they_moved(
    ledger: LedgerOnNode, keys: KeyStore, pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nonce signed before it is taken is stored only if it was the account's next one;
    otherwise (a wrong guess, another gateway took it) the operation takes the next
    nonce under the row lock. Either way the nonces stay contiguous and mine once."""
    from scfledger.outbox.nonces import PgNonces
    from scfledger.outbox.pg_submit import PgSubmit

    outcomes: list[bool] = []
    predicted = PgSubmit.insert_predicted

    def spy(self: PgSubmit, *args: Any, **kwargs: Any) -> bool:
        stored = predicted(self, *args, **kwargs)
        outcomes.append(stored)
        return stored

    monkeypatch.setattr(PgSubmit, "insert_predicted", spy)
    first = make_pipeline(ledger.url, pg_engine, keys)
    other = make_pipeline(ledger.url, pg_engine, keys)  # another gateway on the database
    address = ledger.participants["core0"]

    def submit(pipeline: Pipeline, index: int) -> str:
        op = pipeline.submit(
            participant="core0",
            idempotency_key=f"op-core0-{index}",
            call=ledger.issue("core0", index),
        )
        return op.id

    ids = [submit(first, 0), submit(first, 1)]  # the counter's first use, then a guess
    assert outcomes == [True]
    assert isinstance(first.nonces, PgNonces)
    first.nonces.next_nonces[address] = 7  # a wrong guess
    ids.append(submit(first, 2))
    ids.append(submit(other, 3))  # takes nonce 3 behind first's back
    ids.append(submit(first, 4))  # first expects 3: taken, so it takes 4 under the lock
    assert outcomes == [True, False, False]
    assert ids[-1] not in ids[:-1]
    ops = [first.wait(op_id, timeout=60) for op_id in ids]

    assert [op.nonce for op in ops] == [0, 1, 2, 3, 4]
    assert {op.status for op in ops} == {"mined"}
    assert_each_mined_exactly_once(pg_engine, ledger, [("core0", i) for i in range(5)])
    with pytest.raises(IdempotencyConflict):
        first.submit(
            participant="core0", idempotency_key="op-core0-1", call=ledger.issue("core0", 99)
        )
    again = first.submit(
        participant="core0", idempotency_key="op-core0-1", call=ledger.issue("core0", 1)
    )
    assert again.id == ids[1]
    first.stop()
    other.stop()


def test_postgres_fast_path_reconnects_when_the_server_dropped_its_connections(
    ledger: LedgerOnNode, keys: KeyStore, pg_engine: Engine
) -> None:
    """The fast path's pool does not ping at checkout: a connection the server closed
    while idle fails once, and the submit runs again on a new connection."""
    pipeline = make_pipeline(ledger.url, pg_engine, keys)
    ids = [
        pipeline.submit(
            participant="core0", idempotency_key="op-core0-0", call=ledger.issue("core0", 0)
        ).id
    ]
    with pg_engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    for index in (1, 2):
        ids.append(
            pipeline.submit(
                participant="core0",
                idempotency_key=f"op-core0-{index}",
                call=ledger.issue("core0", index),
            ).id
        )
    ops = [pipeline.wait(op_id, timeout=60) for op_id in ids]
    pipeline.stop()

    assert [(op.nonce, op.status) for op in ops] == [(0, "mined"), (1, "mined"), (2, "mined")]
    assert_each_mined_exactly_once(pg_engine, ledger, [("core0", i) for i in range(3)])
