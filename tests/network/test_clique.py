"""A real 4-sealer go-ethereum Clique network: peering, sealing, transactions, contracts,
a sealer going down and coming back, and a full restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import TxParams, TxReceipt, Wei

from scfledger.network import CliqueNetwork, rpc_call
from scfledger.network.clique_spec import NodeTuning
from tests.support.clique import clique_network, web3_for

# One worker runs every Clique network in turn: four geth nodes per network already load
# both cores, and a starved Clique network can stall on rival branches (go-ethereum#18402).
pytestmark = pytest.mark.integration

SENDER: LocalAccount = Account.from_key(keccak(text="scfledger clique test sender"))

# solcjs 0.8.28, evmVersion paris (no PUSH0), optimizer 200 runs:
#   contract Counter {
#       uint256 public count;
#       event Incremented(address indexed by, uint256 count);
#       function increment() external { count += 1; emit Incremented(msg.sender, count); }
#   }
COUNTER_BYTECODE = (
    "0x6080604052348015600f57600080fd5b506101048061001f6000396000f3fe6080604052348015600f5760"
    "0080fd5b506004361060325760003560e01c806306661abd146037578063d09de08a146051575b600080fd5b"
    "603f60005481565b60405190815260200160405180910390f35b60576059565b005b60016000808282546069"
    "919060a8565b909155505060005460405190815233907f38ac789ed44572701765277c4d0970f2db1c1a571e"
    "d39e84358095ae4eaa54209060200160405180910390a2565b8082018082111560c857634e487b7160e01b60"
    "0052601160045260246000fd5b9291505056fea2646970667358221220f4899c30ce147bef7ad2f768656c4c"
    "e87f4d9e0c64c1ec522baafce13e216a2064736f6c634300081c0033"
)
COUNTER_ABI: list[dict[str, Any]] = [
    {
        "anonymous": False,
        "inputs": [
            {"indexed": True, "internalType": "address", "name": "by", "type": "address"},
            {"indexed": False, "internalType": "uint256", "name": "count", "type": "uint256"},
        ],
        "name": "Incremented",
        "type": "event",
    },
    {
        "inputs": [],
        "name": "count",
        "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}],
        "stateMutability": "view",
        "type": "function",
    },
    {
        "inputs": [],
        "name": "increment",
        "outputs": [],
        "stateMutability": "nonpayable",
        "type": "function",
    },
]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliqueNetwork]:
    with clique_network(
        tmp_path_factory.mktemp("clique"), nodes=4, alloc={SENDER.address: 10**21}
    ) as net:
        yield net


@pytest.fixture(scope="module")
def w3(network: CliqueNetwork) -> Web3:
    return web3_for(network, 0)


def send(w3: Web3, tx: TxParams) -> TxReceipt:
    """Sign tx as SENDER with EIP-1559 fees from the node, send it, wait for the receipt."""
    tip = w3.eth.max_priority_fee
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = {
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(SENDER.address, "pending"),
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": Wei(2 * base_fee + tip),
        **tx,
    }
    tx.setdefault("gas", w3.eth.estimate_gas({**tx, "from": SENDER.address}))
    signed = SENDER.sign_transaction(tx)  # type: ignore[arg-type]
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.2)


def test_every_node_peers_with_all_others_and_knows_all_sealers(network: CliqueNetwork) -> None:
    for node in network.status():
        assert node.running
        assert node.peers == 3, f"node {node.index} has {node.peers} peers"
        assert sorted(node.signers) == sorted(network.sealers)


def test_blocks_are_sealed_by_several_sealers(network: CliqueNetwork) -> None:
    head = network.wait_for_block(0, 6)
    signers = {
        rpc_call(network.rpc_url(0), "clique_getSigner", [hex(n)]) for n in range(1, head + 1)
    }
    # Clique lets a sealer sign at most one of any N/2+1 = 3 consecutive blocks.
    assert len(signers) >= 3
    assert {Web3.to_checksum_address(s) for s in signers} <= set(network.sealers)


def test_signed_eip1559_transfer_is_mined_on_every_node_for_a_few_wei(
    network: CliqueNetwork, w3: Web3
) -> None:
    recipient = Account.create().address

    receipt = send(w3, {"to": recipient, "value": Wei(12345), "gas": 21000})

    assert receipt["status"] == 1
    assert w3.eth.get_balance(recipient) == 12345
    # Permissioned chain: base fee starts at 7 wei, tips of 1 wei are accepted and mined.
    assert receipt["effectiveGasPrice"] < 100
    network.wait_for_block(3, receipt["blockNumber"] + 2)
    w3_other = web3_for(network, 3)
    assert w3_other.eth.get_block(receipt["blockNumber"])["hash"] == receipt["blockHash"]


def test_contract_compiled_for_paris_deploys_and_is_callable(w3: Web3) -> None:
    factory = w3.eth.contract(abi=COUNTER_ABI, bytecode=COUNTER_BYTECODE)
    deployed = send(w3, factory.constructor().build_transaction({"from": SENDER.address}))
    assert deployed["status"] == 1
    address = deployed["contractAddress"]
    assert address is not None
    counter = w3.eth.contract(address=address, abi=COUNTER_ABI)

    receipt = send(w3, counter.functions.increment().build_transaction({"from": SENDER.address}))

    assert counter.functions.count().call() == 1
    (event,) = counter.events.Incremented().process_receipt(receipt)
    assert event["args"]["by"] == SENDER.address
    assert event["args"]["count"] == 1


def test_chain_keeps_sealing_without_one_sealer_and_the_sealer_resyncs(
    network: CliqueNetwork,
) -> None:
    network.stop_node(3)
    assert not network.node_status(3).running
    head = network.head(0)

    # Three of four sealers are enough: each may sign one block in three.
    network.wait_for_block(0, head + 4, timeout=20)

    network.start_node(3)
    assert network.node_status(3).peers == 3
    resumed = network.head(0)
    network.wait_for_block(3, resumed + 2, timeout=20)
    assert all(node.peers == 3 for node in network.status())


def test_stopped_network_restarts_with_its_chain(network: CliqueNetwork) -> None:
    head = network.head(0)
    block_hash = rpc_call(network.rpc_url(0), "eth_getBlockByNumber", [hex(head), False])["hash"]

    # Stop it as the CLI would, from another process's view: only the data dir is shared.
    CliqueNetwork.open(Path(network.data_dir)).stop()
    assert not any(node.running for node in network.status())
    network.start()

    restarted = rpc_call(network.rpc_url(2), "eth_getBlockByNumber", [hex(head), False])
    assert restarted["hash"] == block_hash
    network.wait_for_block(2, head + 2, timeout=20)


def test_path_state_has_no_archive_mode() -> None:
    with pytest.raises(ValueError, match="path state scheme has no archive mode"):
        NodeTuning(state_scheme="path")
