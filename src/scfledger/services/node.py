"""What the gateway's chain node says of its network: its consensus engine, its peers and,
on Clique, the sealers (what a consortium admin's status page shows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3

from scfledger.indexer.engine import ChainEngine, chain_engine


@dataclass(frozen=True)
class NodeNetwork:
    engine: ChainEngine
    peers: int | None  # None: the node does not say (anvil serves no `net_peerCount`)
    sealers: tuple[str, ...] | None  # None: not a Clique network, or its node does not say


def _call(w3: Web3, method: str) -> Any:
    """The result of a JSON-RPC call without parameters, or None when the node does not
    serve the method (a transport error is raised: the node is down)."""
    response = w3.provider.make_request(method, [])  # type: ignore[arg-type]
    return None if "error" in response else response.get("result")


def node_network(w3: Web3) -> NodeNetwork:
    """The node's engine, its peer count and (Clique) the current sealers, checksummed."""
    engine = chain_engine(w3)
    peers = _call(w3, "net_peerCount")
    count = int(peers, 16) if isinstance(peers, str) else peers if isinstance(peers, int) else None
    sealers = None
    if engine is ChainEngine.CLIQUE:
        found = _call(w3, "clique_getSigners")
        if isinstance(found, list):
            sealers = tuple(to_checksum_address(str(s)) for s in found)
    return NodeNetwork(engine=engine, peers=count, sealers=sealers)
