"""A real Clique sealing deadlock (go-ethereum#18402), built on purpose, and the StallGuard
breaking it without losing the transaction that only the discarded branch held.

The deadlock: at head H the signers of H-1 (a) and H (b) may not seal H+1; x and y may,
y in turn. Branch X (nodes x, a, with y and b stopped) gets H+1 from x and H+2 from a,
both out of turn: total difficulty +2, and both X signers are now barred on X. Branch Y
(nodes y, b, with X stopped) gets H+1 from y in turn: +2, and both Y signers are barred on
Y. With all four nodes running and peered again, nobody may seal and no peer is heavier
to sync from, so the network stays put; the test checks it does for longer than geth's
10 s forced-sync cycle before the guard is started."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from scfledger.network import CliqueNetwork, rpc_call
from scfledger.network.deadlock import (
    StallGuard,
    break_deadlock,
    longest_seal_delay,
    running_heads,
)
from tests.support.clique import clique_network, web3_for
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SENDER: LocalAccount = Account.from_key(keccak(text="scfledger deadlock test sender"))
RECIPIENT = to_checksum_address("0x000000000000000000000000000000000000dead")
GETH_FORCED_SYNC_SECONDS = 10
# A restarted node can wait for geth's 35 s dial history before it peers again.
PEERING_SECONDS = 120


def test_deadlock_on_rival_branches_is_broken_and_its_transaction_mined(tmp_path: Path) -> None:
    alloc = {str(SENDER.address): 10**21}
    with clique_network(tmp_path / "chain", nodes=4, alloc=alloc, guard=False) as network:
        network.wait_for_block(0, 3)
        head = _stop_sealing(network)
        assert break_deadlock(network) is None  # one branch: nothing to break

        # A node that is merely behind (cut off, here) is no rival branch: nothing rewound.
        enodes = _cut_off(network, 3)
        _seal_one_block(network, _eligible(network, [0, 1, 2], head), head, [0, 1, 2])
        behind = running_heads(network)
        assert {h.number for h in behind} == {head, head + 1}
        assert break_deadlock(network) is None
        assert running_heads(network) == behind
        _reconnect(network, 3, enodes)
        head = _settled_head(network, timeout=PEERING_SECONDS)

        head, roles = _seal_until_deadlock_can_be_built(network, head)
        x, a, y, b = roles["x"], roles["a"], roles["y"], roles["b"]

        # Branch X: y and b are down; a transaction only X will hold, then x and a seal.
        network.stop_node(y)
        network.stop_node(b)
        tx_hash = _send_transfer(network, x)
        for i in (x, a):
            rpc_call(network.rpc_url(i), "miner_start")
        network.wait_for_block(a, head + 2)
        network.wait_for_block(x, head + 2)
        assert _receipt(network, x, tx_hash) is not None
        network.stop_node(x)
        network.stop_node(a)

        # Branch Y: y seals H+1 in turn, then y and b are barred.
        network.start_node(y, timeout=PEERING_SECONDS)
        network.start_node(b, timeout=PEERING_SECONDS)
        network.wait_for_block(b, head + 1)

        network.start_node(x, timeout=PEERING_SECONDS)
        network.start_node(a, timeout=PEERING_SECONDS)
        stuck = {h.node: h for h in running_heads(network)}
        assert {h.number for h in stuck.values()} == {head + 1, head + 2}
        assert len({h.hash for h in stuck.values()}) == 2
        assert _total_difficulty(network, x) == _total_difficulty(network, y)
        time.sleep(GETH_FORCED_SYNC_SECONDS + 3)
        assert {h.node: h for h in running_heads(network)} == stuck  # deadlocked
        assert all(s.peers == 3 for s in network.status())  # peered, not partitioned
        assert _receipt(network, y, tx_hash) is None

        with StallGuard(network, stall_after=2, poll=0.5) as guard:
            eventually(
                lambda: min(network.head(i) for i in range(4)) >= head + 4,
                what=lambda: f"the guard to unstick the nodes (still: {running_heads(network)})",
                timeout=60,
                interval=0.5,
            )
        [recovery] = guard.recoveries
        assert recovery.fork_block == head
        assert recovery.resent == 1
        assert {h.node: h for h in recovery.heads} == stuck
        hashes = {str(web3_for(network, i).eth.get_block(head + 3)["hash"]) for i in range(4)}
        assert len(hashes) == 1  # one chain again
        receipts = [_receipt(network, i, tx_hash) for i in range(4)]
        assert all(r is not None and r["status"] == "0x1" for r in receipts)
        assert len({r["blockHash"] for r in receipts if r is not None}) == 1


def _seal_until_deadlock_can_be_built(
    network: CliqueNetwork, head: int
) -> tuple[int, dict[str, int]]:
    """Seal single blocks, each by one chosen node, until the head H satisfies what the
    deadlock needs (module docstring): y, in turn at H+1, may seal, and a is not in turn
    at H+2. Sealing in turn twice always gets there."""
    node_of = {address.lower(): i for i, address in enumerate(network.sealers)}
    for _ in range(6):
        snapshot = rpc_call(network.rpc_url(0), "clique_getSnapshot", [hex(head)])
        signers = sorted(address.lower() for address in snapshot["signers"])
        recents = {int(n): address.lower() for n, address in snapshot["recents"].items()}
        barred = {recents.get(head - 1), recents[head]}
        in_turn = signers[(head + 1) % len(signers)]
        a, b = recents.get(head - 1), recents[head]
        if a is not None and in_turn not in barred and signers[(head + 2) % len(signers)] != a:
            [x] = set(signers) - {a, b, in_turn}
            roles = {"x": x, "a": a, "y": in_turn, "b": b}
            return head, {role: node_of[address] for role, address in roles.items()}
        sealer = in_turn if in_turn not in barred else sorted(set(signers) - barred)[0]
        _seal_one_block(network, node_of[sealer], head, list(range(4)))
        head = _settled_head(network)
    raise AssertionError("six blocks sealed in turn did not reach the wanted head")


def _seal_one_block(network: CliqueNetwork, node: int, head: int, nodes: list[int]) -> None:
    """Block head+1, sealed by `node` alone; returns once every node of `nodes` has it."""
    url = network.rpc_url(node)
    rpc_call(url, "miner_start")
    network.wait_for_block(node, head + 1)
    rpc_call(url, "miner_stop")  # it may not seal H+2 anyway: it has just signed
    for i in nodes:
        network.wait_for_block(i, head + 1)


def _stop_sealing(network: CliqueNetwork) -> int:
    """Stop every miner with all nodes on one head; returns it. Miners stopped at a moment
    when the newest block has rivals leave them so: then they seal a little longer."""
    for _ in range(5):
        for i in range(4):
            rpc_call(network.rpc_url(i), "miner_stop")
        try:
            return _settled_head(network, timeout=10)
        except AssertionError:
            for i in range(4):
                rpc_call(network.rpc_url(i), "miner_start")
            network.wait_for_block(0, network.head(0) + 2)
    raise AssertionError("the nodes never stopped on one head")


def _eligible(network: CliqueNetwork, nodes: list[int], head: int) -> int:
    """A node among `nodes` whose signer may seal block head+1."""
    snapshot = rpc_call(network.rpc_url(nodes[0]), "clique_getSnapshot", [hex(head)])
    barred = {a.lower() for n, a in snapshot["recents"].items() if int(n) > head - 2}
    return next(i for i in nodes if network.sealers[i].lower() not in barred)


def _cut_off(network: CliqueNetwork, node: int) -> dict[int, str]:
    """Disconnect `node` from every other node, both ways; returns every node's enode."""
    enodes = {i: rpc_call(network.rpc_url(i), "admin_nodeInfo")["enode"] for i in range(4)}
    for i in range(4):
        if i != node:
            for a, b in ((i, node), (node, i)):
                rpc_call(network.rpc_url(a), "admin_removeTrustedPeer", [enodes[b]])
                rpc_call(network.rpc_url(a), "admin_removePeer", [enodes[b]])
    eventually(
        lambda: int(rpc_call(network.rpc_url(node), "net_peerCount"), 16) == 0,
        what=f"node {node} to lose its peers",
        interval=0.2,
    )
    return enodes


def _reconnect(network: CliqueNetwork, node: int, enodes: dict[int, str]) -> None:
    for i in range(4):
        if i != node:
            for a, b in ((node, i), (i, node)):
                rpc_call(network.rpc_url(a), "admin_addTrustedPeer", [enodes[b]])
                rpc_call(network.rpc_url(a), "admin_addPeer", [enodes[b]])


def _settled_head(network: CliqueNetwork, timeout: float = 30) -> int:
    """Wait until every node reports the same head hash, unchanged for one block slot (a
    seal under way when its miner stopped still lands); returns it."""
    seen, since = None, time.monotonic()

    def settled() -> int | None:
        nonlocal seen, since
        heads = running_heads(network)
        if heads != seen:
            seen, since = heads, time.monotonic()
        agreed = len(heads) == network.nodes and len({h.hash for h in heads}) == 1
        quiet = time.monotonic() - since >= longest_seal_delay(network)
        return heads[0].number if agreed and quiet else None

    return eventually(
        settled,
        what=lambda: f"the nodes to settle on one head (last: {seen})",
        timeout=timeout,
        interval=0.2,
    )


def _send_transfer(network: CliqueNetwork, node: int) -> str:
    w3 = web3_for(network, node)
    signed = SENDER.sign_transaction(
        {
            "to": RECIPIENT,
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**9,
            "maxPriorityFeePerGas": 1,
            "nonce": w3.eth.get_transaction_count(SENDER.address),
            "chainId": w3.eth.chain_id,
        }
    )
    return str(w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex())


def _receipt(network: CliqueNetwork, node: int, tx_hash: str) -> Any:
    return rpc_call(network.rpc_url(node), "eth_getTransactionReceipt", [tx_hash])


def _total_difficulty(network: CliqueNetwork, node: int) -> int:
    block = rpc_call(network.rpc_url(node), "eth_getBlockByNumber", ["latest", False])
    return int(block["totalDifficulty"], 16)
