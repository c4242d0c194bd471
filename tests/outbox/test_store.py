"""The operation store's transitions on their own: indexed, reopened after a reorg, finished."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from scfledger.db.session import session_factory, transaction
from scfledger.outbox.pipeline import Pipeline
from scfledger.outbox.store import (
    OperationStore,
    mark_indexed,
    mark_operation_indexed,
    reopen_above,
)
from tests.outbox.conftest import issue
from tests.support.ledger import Consortium

SENDER = "0x" + "11" * 20


@pytest.fixture
def store(engine: Engine) -> OperationStore:
    return OperationStore(session_factory(engine))


def submitted(store: OperationStore, key: str, nonce: int = 0) -> str:
    """A relayed operation, submitted with its transaction: returns its id."""
    tx_hash = f"0x{key.encode().hex():0>64}"
    store.accept_relayed(
        {
            "id": key,
            "participant": "core",
            "idempotency_key": key,
            "request_hash": "0" * 64,
            "kind": "relay",
            "arguments": {"tx_hash": tx_hash},
            "sender": SENDER,
            "to_address": SENDER,
            "data": b"",
            "gas_limit": 21_000,
            "status": "submitted",
            "nonce": nonce,
            "tx_hash": tx_hash,
            "attempts": 1,
        },
        {"tx_hash": tx_hash, "nonce": nonce, "raw": b"\x02"},
    )
    return key


def mined(store: OperationStore, key: str, block: int, *, status: int = 1) -> str:
    operation_id = submitted(store, key)
    tx_hash = store.get(operation_id).tx_hash
    assert tx_hash is not None
    receipt = {"status": status, "blockNumber": block, "gasUsed": 21_000}
    assert store.finish(operation_id, tx_hash, "call", receipt)
    return operation_id


def test_reopen_above_sends_operations_mined_or_indexed_above_the_fork_back_to_submitted(
    store: OperationStore,
) -> None:
    for key, block in {"m4": 4, "i5": 5, "m6": 6, "i7": 7}.items():
        mined(store, key, block)
    reverted = mined(store, "f8", 8, status=0)
    waiting = submitted(store, "s")
    with transaction(store.sessions) as session:
        mark_indexed(session, [store.get(k).tx_hash or "" for k in ("i5", "i7")])
    before = {k: store.get(k) for k in ("m4", "i5", "f8", "s")}

    with transaction(store.sessions) as session:
        reopened = reopen_above(session, 5)

    assert reopened == 2
    for key in ("m6", "i7"):
        view = store.get(key)
        assert (view.status, view.block_number, view.gas_used, view.mined_at) == (
            "submitted", None, None, None,
        )  # fmt: skip
        assert view.tx_hash is not None  # the confirmer looks its receipt up again
    assert {k: store.get(k) for k in before} == before
    assert (store.get("i5").status, store.get("m4").status) == ("indexed", "mined")
    assert (store.get(reverted).status, store.get(waiting).status) == ("failed", "submitted")


def test_reopened_operation_is_confirmed_again_from_its_receipt(
    consortium: Consortium, pipeline: Pipeline
) -> None:
    op = pipeline.submit(
        participant="core", idempotency_key="reorged", call=issue(consortium, b"\x31" * 32)
    )
    done = pipeline.wait(op.id, timeout=30)
    assert done.status == "mined"
    assert done.block_number is not None

    with transaction(pipeline.sessions) as session:
        assert reopen_above(session, done.block_number - 1) == 1
    assert (pipeline.get(op.id).status, pipeline.get(op.id).block_number) == ("submitted", None)

    again = pipeline.wait(op.id, timeout=30)  # the confirmer's passes, as after a reorg
    assert (again.status, again.block_number, again.tx_hash) == (
        "mined", done.block_number, done.tx_hash,
    )  # fmt: skip


def test_mark_indexed_moves_only_mined_operations_of_the_given_transactions(
    store: OperationStore,
) -> None:
    mined(store, "a", 3)
    mined(store, "b", 3)
    mined(store, "failed", 3, status=0)
    submitted(store, "waiting")
    hashes = [store.get(k).tx_hash or "" for k in ("a", "failed", "waiting")]

    with transaction(store.sessions) as session:
        mark_indexed(session, hashes)

    statuses = {k: store.get(k).status for k in ("a", "b", "failed", "waiting")}
    assert statuses == {"a": "indexed", "b": "mined", "failed": "failed", "waiting": "submitted"}


def test_mark_operation_indexed_moves_a_mined_operation_only(store: OperationStore) -> None:
    mined(store, "a", 3)
    submitted(store, "waiting")

    with transaction(store.sessions) as session:
        mark_operation_indexed(session, "a")
        mark_operation_indexed(session, "waiting")

    assert (store.get("a").status, store.get("waiting").status) == ("indexed", "submitted")


def test_finish_changes_only_a_submitted_operation(store: OperationStore) -> None:
    operation_id = mined(store, "a", 3)
    tx_hash = store.get(operation_id).tx_hash
    assert tx_hash is not None

    again = store.finish(
        operation_id, tx_hash, "call", {"status": 0, "blockNumber": 9, "gasUsed": 1}
    )

    assert again is False
    view = store.get(operation_id)
    assert (view.status, view.block_number) == ("mined", 3)


def test_nonce_taken_fails_a_relayed_operation(store: OperationStore) -> None:
    operation_id = submitted(store, "r", nonce=4)

    assert store.nonce_taken(operation_id) is True

    view = store.get(operation_id)
    assert (view.status, view.error_name) == ("failed", "TransactionReplaced")
    assert view.error_message == "nonce 4 was used by another transaction"
