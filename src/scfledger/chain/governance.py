"""Proposes and approves governed calls through the registry's M-of-N admin process."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from scfledger.chain.tx import Sender, event_args, send, send_all


def encode_call(call: ContractFunction) -> bytes:
    """The calldata of a bound contract function."""
    return bytes.fromhex(call._encode_transaction_data()[2:])


def propose(
    w3: Web3,
    registry: Contract,
    call: ContractFunction,
    proposer: Sender,
    *,
    gas: int | None = None,
) -> int:
    """Proposes `call` (on any contract governed by `registry`); returns the proposal id.
    `gas`, if given, is sent as is instead of estimated (see `send`)."""
    receipt = send(
        w3, registry.functions.propose(call.address, encode_call(call)), proposer, gas=gas
    )
    return int(event_args(registry, "ProposalCreated", receipt)[0]["proposalId"])


def govern(
    w3: Web3,
    registry: Contract,
    call: ContractFunction,
    *,
    proposer: Sender,
    approvers: Sequence[Sender],
    gas: int | None = None,
) -> int:
    """Proposes `call` and has each approver approve it; the last approval executes it.
    `gas`, if given, is sent with each transaction instead of an estimate."""
    proposal_id = propose(w3, registry, call, proposer, gas=gas)
    for approver in approvers:
        send(w3, registry.functions.approve(proposal_id), approver, gas=gas)
    return proposal_id


def govern_all(
    w3: Web3,
    registry: Contract,
    calls: Sequence[ContractFunction],
    *,
    proposer: Sender,
    approvers: Sequence[Sender],
) -> list[int]:
    """`govern` for several independent calls (say, admitting every founding member): all
    proposed at once, then each approver approves them all at once (`send_all`), so that
    a chain with a block period takes a few blocks, not two per call. Returns the
    proposal ids in the order of `calls`."""
    proposals = [registry.functions.propose(c.address, encode_call(c)) for c in calls]
    receipts = send_all(w3, proposals, proposer)
    ids = [int(event_args(registry, "ProposalCreated", r)[0]["proposalId"]) for r in receipts]
    for approver in approvers:
        send_all(w3, [registry.functions.approve(i) for i in ids], approver)
    return ids
