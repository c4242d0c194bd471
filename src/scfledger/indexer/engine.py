"""Which consensus engine a node runs, and how many confirmations the indexer waits on it.

Instant-finality engines never replace a block once it is on chain: QBFT and IBFT 2.0
(Besu's production engines) and the dev chains (anvil, eth-tester: one node mining on
demand; only a test's `evm_revert` rolls them back). Clique can: sealers that are out of
turn, or cut off from each other, seal competing branches, and the heavier one replaces the
other when they meet. A sealer may seal only one of every N // 2 + 1 consecutive blocks (N
sealers), so a side of a split with at most N // 2 of them stalls after as many blocks:
what it sealed alone, at most N // 2 blocks, is all a reunited network replaces. The
indexer therefore stays N // 2 blocks (at least 1) behind a Clique head. An engine it cannot
tell is assumed able to reorg and given `UNKNOWN_CONFIRMATIONS`.
"""

from __future__ import annotations

import enum
from typing import Any

from web3 import Web3

# What IBFT 2.0 and QBFT put in every header's mixHash ("Istanbul BFT" digest).
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
DEV_CLIENTS = ("anvil", "ethereumtester", "hardhat", "ganache")
# Clique's extraData: 32 bytes of vanity, the signers (20 bytes each) in epoch blocks
# such as the genesis, 65 bytes of seal.
CLIQUE_VANITY, CLIQUE_SEAL = 32, 65
# Ethereum's long-standing rule of thumb for an engine that can reorg and is not known.
UNKNOWN_CONFIRMATIONS = 12


class ChainEngine(enum.StrEnum):
    DEV = "dev"  # anvil, eth-tester: instant
    BFT = "bft"  # QBFT, IBFT 2.0: instant finality
    CLIQUE = "clique"  # can reorg its newest blocks
    UNKNOWN = "unknown"


def _call(w3: Web3, method: str, params: list[Any]) -> Any:
    """The result of a JSON-RPC call, or None when the node does not serve the method."""
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    return None if "error" in response else response.get("result")


def _extra_bytes(block: dict[str, Any] | None) -> int:
    extra = str((block or {}).get("extraData", "0x"))
    return (len(extra) - 2) // 2


def chain_engine(w3: Web3) -> ChainEngine:
    """The node's consensus engine, told from its client name and its newest header."""
    version = str(_call(w3, "web3_clientVersion", []) or "").lower()
    if version.startswith(DEV_CLIENTS):
        return ChainEngine.DEV
    block = _call(w3, "eth_getBlockByNumber", ["latest", False])
    if block and str(block.get("mixHash", "")).lower() == BFT_MIX_HASH:
        return ChainEngine.BFT
    clique_header = (
        block is not None
        and int(block.get("difficulty", "0x0"), 16) in (1, 2)
        and _extra_bytes(block) >= CLIQUE_VANITY + CLIQUE_SEAL
    )
    if clique_header or _call(w3, "clique_getSigners", []) is not None:
        return ChainEngine.CLIQUE
    return ChainEngine.UNKNOWN


def clique_sealers(w3: Web3) -> int:
    """How many sealers a Clique chain has: from the node's clique API, else from the
    signer list in the genesis block's extraData."""
    signers = _call(w3, "clique_getSigners", [])
    if isinstance(signers, list) and signers:
        return len(signers)
    genesis = _call(w3, "eth_getBlockByNumber", ["0x0", False])
    return max((_extra_bytes(genesis) - CLIQUE_VANITY - CLIQUE_SEAL) // 20, 1)


def clique_confirmations(sealers: int) -> int:
    """Blocks a Clique head may be replaced by: N // 2 of N sealers, at least 1."""
    return max(sealers // 2, 1)


def default_confirmations(w3: Web3) -> int:
    """Confirmations the indexer waits on this node's chain when none are configured."""
    engine = chain_engine(w3)
    if engine in (ChainEngine.DEV, ChainEngine.BFT):
        return 0
    if engine is ChainEngine.CLIQUE:
        return clique_confirmations(clique_sealers(w3))
    return UNKNOWN_CONFIRMATIONS
