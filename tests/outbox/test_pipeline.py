"""The transaction pipeline on an in-process chain: idempotency, decoded reverts, relay."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from scfledger.db.models import Operation, Transaction
from scfledger.db.session import session_factory
from scfledger.exceptions import ContractRevert, IdempotencyConflict, RelayRejected
from scfledger.outbox.operation import OperationView
from scfledger.outbox.pipeline import Pipeline
from tests.outbox.conftest import issue, signer_of
from tests.support.ledger import Consortium


def test_submit_mines_the_operation_and_records_its_transaction(
    consortium: Consortium, pipeline: Pipeline, engine: Engine
) -> None:
    before = consortium.token.functions.receivableCount().call()
    op = pipeline.submit(
        participant="core", idempotency_key="k1", call=issue(consortium, b"\x01" * 32)
    )
    assert op.status == "submitted"
    assert op.nonce == consortium.w3.eth.get_transaction_count(consortium.core) - 1

    done = pipeline.wait(op.id, timeout=30)

    assert done.status == "mined"
    assert done.block_number is not None
    assert done.gas_used
    assert done.kind == "ReceivableToken.issue"
    assert done.arguments["args"][4] == "0x" + "01" * 32
    assert consortium.token.functions.receivableCount().call() == before + 1
    with session_factory(engine)() as session:
        txs = session.scalars(select(Transaction)).all()
    assert [t.tx_hash for t in txs] == [done.tx_hash]


def test_same_idempotency_key_returns_the_same_operation_and_sends_once(
    consortium: Consortium, pipeline: Pipeline
) -> None:
    call = issue(consortium, b"\x02" * 32)
    first = pipeline.submit(participant="core", idempotency_key="retry-me", call=call)
    nonce_after_first = consortium.w3.eth.get_transaction_count(consortium.core)

    again = pipeline.submit(participant="core", idempotency_key="retry-me", call=call)
    pipeline.wait(first.id, timeout=30)
    third = pipeline.submit(participant="core", idempotency_key="retry-me", call=call)

    assert again.id == first.id == third.id
    assert third.status == "mined"
    assert consortium.w3.eth.get_transaction_count(consortium.core) == nonce_after_first


def test_same_key_for_a_different_request_is_refused(
    consortium: Consortium, pipeline: Pipeline
) -> None:
    first = pipeline.submit(
        participant="core", idempotency_key="k", call=issue(consortium, b"\x03" * 32)
    )

    with pytest.raises(IdempotencyConflict) as raised:
        pipeline.submit(
            participant="core", idempotency_key="k", call=issue(consortium, b"\x04" * 32)
        )

    assert raised.value.operation_id == first.id


def test_idempotency_keys_are_per_participant(consortium: Consortium, pipeline: Pipeline) -> None:
    a = pipeline.submit(
        participant="core", idempotency_key="same", call=issue(consortium, b"\x05" * 32)
    )
    b = pipeline.submit(
        participant="core2", idempotency_key="same", call=issue(consortium, b"\x06" * 32)
    )

    assert a.id != b.id
    assert pipeline.wait(b.id, timeout=30).status == "mined"


def test_revert_at_estimation_fails_with_the_decoded_error_and_spends_no_nonce(
    consortium: Consortium, pipeline: Pipeline, engine: Engine
) -> None:
    document = b"\x07" * 32
    slot, _ = consortium.issue(document=document)
    nonce = consortium.w3.eth.get_transaction_count(consortium.core)

    op = pipeline.submit(
        participant="core", idempotency_key="dup", call=issue(consortium, document)
    )

    assert op.status == "failed"
    assert op.nonce is None
    assert op.tx_hash is None
    assert op.error_name == "DuplicateDocument"
    assert op.error_args == {"documentHash": "0x" + document.hex(), "slot": slot}
    error = op.error()
    assert isinstance(error, ContractRevert)
    assert (error.name, error.values) == ("DuplicateDocument", (document, slot))
    assert consortium.w3.eth.get_transaction_count(consortium.core) == nonce
    follow_up = pipeline.submit(
        participant="core", idempotency_key="next", call=issue(consortium, b"\x08" * 32)
    )
    assert follow_up.nonce == nonce


def test_revert_in_a_block_is_decoded_by_replay(consortium: Consortium, pipeline: Pipeline) -> None:
    document = b"\x09" * 32
    slot, _ = consortium.issue(document=document)

    # Explicit gas skips estimation, so the transaction is mined and fails in its block.
    op = pipeline.submit(
        participant="core",
        idempotency_key="mined-dup",
        call=issue(consortium, document),
        gas=500_000,
    )
    done = pipeline.wait(op.id, timeout=30)

    assert done.status == "failed"
    assert done.tx_hash is not None
    assert done.block_number is not None
    with pytest.raises(ContractRevert) as raised:
        done.raise_for_error()
    assert (raised.value.name, raised.value.values) == ("DuplicateDocument", (document, slot))


def test_wrong_role_reverts_with_missing_role(consortium: Consortium, pipeline: Pipeline) -> None:
    op = pipeline.submit(
        participant="supplier2", idempotency_key="not-core", call=issue(consortium, b"\x0a" * 32)
    )

    error = op.error()
    assert isinstance(error, ContractRevert)
    assert (error.name, error.values) == ("MissingRole", (consortium.supplier2, 1 << 1))


def _self_signed(consortium: Consortium, name: str, document: bytes) -> bytes:
    signer = signer_of(consortium, name)
    call = issue(consortium, document)
    tx = {
        "chainId": consortium.w3.eth.chain_id,
        "nonce": consortium.w3.eth.get_transaction_count(signer.address),
        "to": call.address,
        "data": call.calldata(),
        "gas": 600_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "value": 0,
    }
    return bytes(signer.sign_transaction(tx).raw_transaction)


def test_relay_sends_a_transaction_the_participant_signed(
    consortium: Consortium, pipeline: Pipeline
) -> None:
    raw = _self_signed(consortium, "core2", b"\x0b" * 32)

    op = pipeline.relay(
        participant="core2",
        participant_address=consortium.core2,
        idempotency_key="r1",
        raw_transaction=raw,
    )
    again = pipeline.relay(
        participant="core2",
        participant_address=consortium.core2,
        idempotency_key="r1",
        raw_transaction=raw,
    )

    assert again.id == op.id
    done: OperationView = pipeline.wait(op.id, timeout=30)
    assert (done.status, done.kind) == ("mined", "relay")
    token = consortium.token.functions
    anchor = token.anchorOf(b"\x0b" * 32, consortium.core2, consortium.supplier1).call()
    assert token.slotOfAnchor(anchor).call() != 0


def test_relay_refuses_a_transaction_signed_by_someone_else(
    consortium: Consortium, pipeline: Pipeline, engine: Engine
) -> None:
    raw = _self_signed(consortium, "core", b"\x0c" * 32)

    with pytest.raises(RelayRejected) as raised:
        pipeline.relay(
            participant="core2",
            participant_address=consortium.core2,
            idempotency_key="r2",
            raw_transaction=raw,
        )

    assert f"signed by {consortium.core}" in str(raised.value)
    with session_factory(engine)() as session:
        assert session.scalars(select(Operation)).all() == []


def test_relay_refuses_garbage(consortium: Consortium, pipeline: Pipeline) -> None:
    with pytest.raises(RelayRejected, match="not a signed transaction"):
        pipeline.relay(
            participant="core2",
            participant_address=consortium.core2,
            idempotency_key="r3",
            raw_transaction=b"\x01\x02",
        )


def test_relay_refuses_accounts_the_gateway_signs_for(
    consortium: Consortium, pipeline: Pipeline
) -> None:
    pipeline.submit(participant="core", idempotency_key="own", call=issue(consortium, b"\x0d" * 32))
    raw = _self_signed(consortium, "core", b"\x0e" * 32)

    with pytest.raises(RelayRejected, match="signed for by this gateway"):
        pipeline.relay(
            participant="core",
            participant_address=consortium.core,
            idempotency_key="r4",
            raw_transaction=raw,
        )
