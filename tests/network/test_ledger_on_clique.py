"""The shipped artifacts deploy and run on a real go-ethereum 1.13 Clique network.

geth's Clique engine refuses Shanghai and later forks, so this is where an artifact built
for the wrong EVM (PUSH0, MCOPY) would fail; transactions are signed locally with
eth-account keys, as the gateway signs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.contract_types import record
from scfledger.chain.deploy import DAY, DeployedLedger, InitialAdmin, deploy_ledger
from scfledger.chain.generated import PieceView, Role
from scfledger.chain.governance import govern_all
from scfledger.chain.identity import identity_anchor, new_salt
from scfledger.chain.tx import event_args, send
from scfledger.exceptions import ContractRevert
from tests.support.clique import clique_network, web3_for

# One worker runs every Clique network in turn: four geth nodes per network already load
# both cores, and a starved Clique network can stall on rival branches (go-ethereum#18402).
pytestmark = pytest.mark.integration

NAMES = ("deployer", "admin1", "admin2", "core", "supplier1", "supplier2")
KEYS: dict[str, LocalAccount] = {n: Account.from_key(keccak(text=f"scf clique {n}")) for n in NAMES}


def h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def anchors(name: str) -> tuple[bytes, bytes]:
    """A member's legal-id and KYC anchors, salted with its own salt."""
    salt = new_salt()
    return identity_anchor(salt, f"91310000{name}"), identity_anchor(salt, f"kyc {name}")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Web3, DeployedLedger]]:
    alloc: dict[str, int] = {str(key.address): 10**24 for key in KEYS.values()}
    data_dir: Path = tmp_path_factory.mktemp("clique-ledger")
    with clique_network(data_dir, nodes=4, period=1, alloc=alloc) as network:
        w3 = web3_for(network, 1)
        admins = [InitialAdmin(KEYS[n].address, n, *anchors(n)) for n in ("admin1", "admin2")]
        ledger = deploy_ledger(w3, deployer=KEYS["deployer"], admins=admins)
        admissions = [
            ledger.registry.functions.admitMember(KEYS[name].address, name, *anchors(name), roles)
            for name, roles in (
                ("core", Role.CORE_ENTERPRISE),
                ("supplier1", Role.SUPPLIER),
                ("supplier2", Role.SUPPLIER),
            )
        ]
        govern_all(
            w3, ledger.registry, admissions, proposer=KEYS["admin1"], approvers=[KEYS["admin2"]]
        )
        yield w3, ledger


def test_deployed_runtime_code_is_the_shipped_artifact(chain: tuple[Web3, DeployedLedger]) -> None:
    w3, ledger = chain
    # The registry has no immutables, so its runtime code is byte-for-byte the artifact.
    assert (
        w3.eth.get_code(ledger.registry.address).hex()
        == load_artifact("ConsortiumRegistry").deployed_bytecode[2:]
    )
    token_code = w3.eth.get_code(ledger.token.address)
    assert len(token_code) == len(
        bytes.fromhex(load_artifact("ReceivableToken").deployed_bytecode[2:])
    )
    assert ledger.registry.functions.memberCount().call() == 5


def test_receivable_is_issued_accepted_and_split_on_clique(
    chain: tuple[Web3, DeployedLedger],
) -> None:
    w3, ledger = chain
    token = ledger.token.functions
    due = int(w3.eth.get_block("latest")["timestamp"]) + 30 * DAY
    receipt = send(
        w3, token.issue(KEYS["supplier1"].address, 10**6, b"CNY", due, h("inv-1")), KEYS["core"]
    )
    issued = event_args(ledger.token, "ReceivableIssued", receipt)[0]
    send(w3, token.accept(issued["slot"]), KEYS["supplier1"])
    receipt = send(
        w3,
        token.transferFrom(issued["tokenId"], KEYS["supplier2"].address, 250_000),
        KEYS["supplier1"],
    )
    child = event_args(ledger.token, "PieceSplit", receipt)[0]["childTokenId"]
    piece = record(PieceView, token.getPiece(child).call())
    assert (piece.holder, piece.value, piece.parent_token_id, piece.depth) == (
        KEYS["supplier2"].address,
        250_000,
        issued["tokenId"],
        1,
    )
    assert record(PieceView, token.getPiece(issued["tokenId"]).call()).value == 750_000
    # Every sealer's node has the same view of the piece.
    assert token.getPiece(child).call(block_identifier=receipt["blockNumber"]) == piece


def test_reverts_decode_from_geth(chain: tuple[Web3, DeployedLedger]) -> None:
    w3, ledger = chain
    token = ledger.token.functions
    due = int(w3.eth.get_block("latest")["timestamp"]) + 30 * DAY
    send(w3, token.issue(KEYS["supplier1"].address, 10**6, b"CNY", due, h("inv-dup")), KEYS["core"])
    anchor = token.anchorOf(h("inv-dup"), KEYS["core"].address, KEYS["supplier1"].address).call()
    slot = token.slotOfAnchor(anchor).call()
    nonce = w3.eth.get_transaction_count(KEYS["core"].address)
    with pytest.raises(ContractRevert) as raised:
        send(
            w3,
            token.issue(KEYS["supplier1"].address, 10**6, b"CNY", due, h("inv-dup")),
            KEYS["core"],
        )
    assert (raised.value.name, raised.value.values) == ("DuplicateDocument", (h("inv-dup"), slot))
    with pytest.raises(ContractRevert) as raised:
        send(w3, token.issue(KEYS["supplier1"].address, 1, b"CNY", due, h("x")), KEYS["supplier2"])
    assert (raised.value.name, raised.value.values) == (
        "MissingRole",
        (KEYS["supplier2"].address, Role.CORE_ENTERPRISE),
    )
    assert w3.eth.get_transaction_count(KEYS["core"].address) == nonce  # refused before sending
