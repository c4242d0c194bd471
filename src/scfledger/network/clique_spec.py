"""What a local Clique network is: its ports and APIs, and the description it records."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

# Node i listens on base_port + offset + i, so node 0 serves JSON-RPC on the familiar 8545.
HTTP_OFFSET, WS_OFFSET, AUTHRPC_OFFSET, P2P_OFFSET = 0, 100, 200, 300
MAX_NODES = 100

# miner: sealing is started over RPC once the nodes are peered (see _start_nodes).
# debug: debug_setHead breaks a sealing deadlock (see scfledger.network.deadlock).
HTTP_APIS = "eth,net,web3,clique,admin,txpool,miner,debug"
WS_APIS = "eth,net,web3,clique,txpool"
# 1 wei: the lowest tip geth accepts (it replaces 0 by its 1 gwei default). Gas on a
# permissioned chain only meters work; fees are not how members are kept honest.
MIN_GAS_PRICE_WEI = 1
# Forks the geth 1.13 Clique engine refuses ("clique does not support shanghai fork").
POST_MERGE_FORKS = ("shanghaiTime", "cancunTime", "pragueTime", "terminalTotalDifficulty")


@dataclass(frozen=True)
class NodeTuning:
    """How the nodes are run, where a benchmark tries alternatives (bench/chain.py): the
    block gas limit (None: the genesis template's), the state's garbage collection
    (`archive` keeps every block's state, so a killed node restarts at its head; `full`
    writes less), how the state is stored and any further geth flags. Not recorded in
    network.json: a network opened later runs with the defaults."""

    gas_limit: int | None = None
    gc_mode: Literal["archive", "full"] = "archive"
    # geth's trie storage: `path` (PBSS) keeps one state and diffs; it has no archive mode.
    state_scheme: Literal["hash", "path"] = "hash"
    flags: tuple[str, ...] = ()
    # How many of the nodes (the first ones) the genesis makes signers; None: all. The
    # others replicate and run their miner, which Clique refuses until they are voted in.
    signers: int | None = None

    def __post_init__(self) -> None:
        if self.state_scheme == "path" and self.gc_mode == "archive":
            raise ValueError("geth's path state scheme has no archive mode: use gc_mode full")


DEFAULT_TUNING = NodeTuning()


@dataclass(frozen=True)
class NetworkSpec:
    """What network.json records: enough for another process to find and stop the nodes."""

    nodes: int
    chain_id: int
    period: int
    base_port: int
    gas_limit: int
    # Each node's signing key, by node index. Whether a key may seal now is the chain's
    # business (clique_getSigners): nodes added later start outside the signer set.
    sealers: list[ChecksumAddress]
    node_ids: list[str]  # hex public keys (the enode ids), not secrets

    @classmethod
    def read(cls, path: Path) -> NetworkSpec:
        raw = json.loads(path.read_text())
        raw["sealers"] = [to_checksum_address(a) for a in raw["sealers"]]
        return cls(**raw)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


@dataclass(frozen=True)
class NodeStatus:
    """One node as seen from outside: its process and what its JSON-RPC reports."""

    index: int
    sealer: ChecksumAddress
    rpc_url: str
    pid: int | None  # None when the node is not running
    head: int | None  # None when JSON-RPC does not answer
    peers: int | None
    signers: tuple[ChecksumAddress, ...]

    @property
    def running(self) -> bool:
        return self.pid is not None
